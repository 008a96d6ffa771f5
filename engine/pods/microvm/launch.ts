// Starting the processes a VM pod runs on, detached from the daemon (their own session, output to files in
// the pod directory) so they outlive it as conmon does for native pods: QEMU, and passt for the pod's network.
// Each is recorded by pid and start time; its command line carries the pod's uid prefix, so a crash between
// spawn and record still leaves it findable (teardown.ts).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { findExecutable } from '../../network/run-tool';
import { isAlive, procStat } from '../../runtime/processes';
import { uidPrefix } from '../native/paths';
import { PodError } from '../types';
import { qemuArgs, type VmSpec } from './qemu-command';
import type { ProcessRef } from './records';

export const QEMU_BINARY = 'qemu-system-x86_64';

export function findQemu(): string {
  const q = findExecutable(QEMU_BINARY);
  if (!q) throw new PodError(`${QEMU_BINARY} is not installed (apt-get install -y qemu-system-x86): microVM pods run in QEMU`, 'NOT_SUPPORTED');
  return q;
}

/** The name QEMU's process and `ps` show for a pod's VM. */
export function vmProcessName(uid: string): string {
  return `podsmith-vm-${uidPrefix(uid)}`;
}

/** The host TSC frequency in kHz (the guest's early calibration hint), when /proc/cpuinfo tells it. */
export function hostTscKhz(): number | undefined {
  try {
    const mhz = /^cpu MHz\s*:\s*([\d.]+)/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1];
    const khz = mhz ? Math.round(Number(mhz) * 1000) : undefined;
    return khz && khz > 0 ? khz : undefined;
  } catch {
    return cpus()[0]?.speed ? cpus()[0].speed * 1000 : undefined;
  }
}

function spawnDetached(file: string, args: string[], log: string, extraFds: number[] = []): Promise<ProcessRef> {
  const out = openSync(log, 'a', 0o600);
  try {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', out, out, ...extraFds] });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => {
        child.unref();
        const pid = child.pid!;
        const stat = procStat(pid);
        resolve({ pid, ...(stat ? { startTime: stat.startTime } : {}) });
      });
    });
  } finally {
    closeSync(out);
  }
}

export function startQemu(spec: VmSpec, log: string): Promise<ProcessRef> {
  return spawnDetached(findQemu(), qemuArgs(spec), log);
}

/** A clone of a template: QEMU gets the template's device state file as descriptor CLONE_STATE_FD (template.ts). */
export function startClone(spec: VmSpec, stateFile: string, log: string): Promise<ProcessRef> {
  const fd = openSync(stateFile, 'r');
  try {
    return spawnDetached(findQemu(), qemuArgs(spec), log, [fd]);
  } finally {
    closeSync(fd);
  }
}

/**
 * passt for one VM: outbound TCP/UDP/ICMP with the host's address and routes copied into the guest (DHCP),
 * and the pod's hostPorts (`-t`/`-u` specs, as for pasta).
 */
export async function startPasst(socket: string, log: string, ports: { tcp: string[]; udp: string[] }): Promise<ProcessRef> {
  const passt = findExecutable('passt');
  if (!passt) throw new PodError('passt is not installed (apt-get install -y passt): it gives microVM pods their network', 'NOT_SUPPORTED');
  // As the daemon's own user, as native pods run pasta: dropping to nobody, passt could not bind its socket in
  // the pod's private directory (and a socket where nobody can bind is one any local user could replace).
  const args = ['--foreground', '--quiet', '--runas', `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`, '--socket', socket];
  for (const spec of ports.tcp) args.push('--tcp-ports', spec);
  for (const spec of ports.udp) args.push('--udp-ports', spec);
  const ref = await spawnDetached(passt, args, log);
  // QEMU connects once, at its start: the socket must be there by then.
  const deadline = Date.now() + 10_000;
  for (let delay = 1; !existsSync(socket); delay = Math.min(delay * 2, 20)) {
    const why = !isAlive(ref.pid, ref.startTime) ? 'passt exited' : Date.now() > deadline ? 'passt did not open its socket within 10 s' : undefined;
    if (why) {
      const text = (() => {
        try {
          return readFileSync(log, 'utf8').trim().split('\n').filter((l) => !/syslog/.test(l)).slice(-3).join('; ');
        } catch {
          return '';
        }
      })();
      throw new PodError(`${why}${text ? `: ${text}` : ''}`, 'START_FAILED');
    }
    await new Promise((r) => setTimeout(r, delay));
  }
  return ref;
}
