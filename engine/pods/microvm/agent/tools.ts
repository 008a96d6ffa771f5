// The guest's programs: runc from the tools image, busybox from the initramfs (its applets as argv[0]).
import { spawn } from 'node:child_process';
import { OciRuntime } from '../../../runtime/oci-runtime';
import { GUEST_RUNC_ROOT } from '../protocol/guest-paths';

export const RUNC = '/usr/sbin/runc';
export const BUSYBOX = '/bin/busybox';

export const runc = new OciRuntime({ name: 'runc', path: RUNC, version: '' }, GUEST_RUNC_ROOT);

/** Runs a busybox applet; rejects with its output when it fails. */
export function busybox(args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(BUSYBOX, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (out += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`busybox ${args[0]} failed (exit ${code}): ${out.trim().split('\n').slice(-2).join('; ')}`));
    });
  });
}
