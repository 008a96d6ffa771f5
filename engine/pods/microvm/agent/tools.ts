// The guest's programs: the OCI runtime from the tools image (crun where the host has it: a small C program
// starts far faster than runc's Go runtime under TCG, and the guest's pure cgroup v2 suits it; else runc),
// and busybox from the initramfs (its applets as argv[0]).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { OciRuntime } from '../../../runtime/oci-runtime';
import { GUEST_RUNC_ROOT } from '../protocol/guest-paths';

export const BUSYBOX = '/bin/busybox';

const CRUN = '/usr/bin/crun';
const RUNC = '/usr/sbin/runc';

/** The runtime binary the agent runs containers with (PODSMITH_GUEST_OCI=runc picks runc when both are there). */
export const OCI_PATH = process.env.PODSMITH_GUEST_OCI !== 'runc' && existsSync(CRUN) ? CRUN : RUNC;
export const OCI_NAME = OCI_PATH === CRUN ? 'crun' : 'runc';

export const oci = new OciRuntime({ name: OCI_NAME, path: OCI_PATH, version: '' }, GUEST_RUNC_ROOT);

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

/** Runs `<runtime> --version` (loads the binary and its shared libraries into the page cache). */
export function warmOciRuntime(): Promise<void> {
  return new Promise((resolve) => {
    const c = spawn(OCI_PATH, ['--version'], { stdio: 'ignore' });
    c.on('error', () => resolve());
    c.on('close', () => resolve());
  });
}
