// The guest's initramfs: busybox-static (the shell that runs the boot scripts, plus its applets), the kernel
// modules in load order, the boot scripts and the agent. It is built by Podsmith (engine/pods/microvm/guest/
// cpio.ts) rather than by a distribution tool, so it holds exactly this and nothing of the host, and is
// byte-reproducible: named by the hash of its inputs, the same inputs always give the same file.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isStaticElf } from '../../../doctor/static-elf';
import { findExecutable, runTool } from '../../../network/run-tool';
import { agentBundle } from './agent-bundle';
import { guestCacheDir, publish } from './cache';
import { writeCpio, type CpioEntry } from './cpio';
import { STAGE1, STAGE2, UDHCPC_SCRIPT } from './init-script';
import type { GuestKernel } from './kernel';

export class InitramfsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InitramfsError';
  }
}

/** The host's static busybox (Debian's busybox-static; the dynamic busybox package cannot run before the tools are mounted). */
export function staticBusybox(): string {
  const candidates = ['/bin/busybox', '/usr/bin/busybox', findExecutable('busybox')].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p) && isStaticElf(p));
  if (!found) throw new InitramfsError('a statically linked busybox is needed for the guest (apt-get install -y busybox-static)');
  return found;
}

async function applets(busybox: string): Promise<string[]> {
  const r = await runTool(busybox, ['--list'], { timeoutMs: 10_000 });
  return r.stdout
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => /^[a-z0-9_.[-]+$/.test(s) && s !== 'busybox')
    .sort();
}

export async function initramfsEntries(kernel: GuestKernel, agent: Buffer, busybox = staticBusybox()): Promise<CpioEntry[]> {
  const entries: CpioEntry[] = [];
  for (const d of ['agent', 'bin', 'dev', 'etc', 'mods', 'newroot', 'proc', 'sys', 'tmp']) entries.push({ type: 'dir', path: d });
  entries.push({ type: 'file', path: 'agent/agent.js', data: agent });
  entries.push({ type: 'file', path: 'bin/busybox', data: await readFile(busybox), mode: 0o755 });
  // Links for every applet: the agent and the scripts call them by name (ip, mount, setsid, udhcpc).
  for (const a of await applets(busybox)) entries.push({ type: 'symlink', path: `bin/${a}`, target: 'busybox' });
  entries.push({ type: 'file', path: 'etc/udhcpc.script', data: Buffer.from(UDHCPC_SCRIPT), mode: 0o755 });
  entries.push({ type: 'file', path: 'etc/passwd', data: Buffer.from('root:x:0:0:root:/:/bin/sh\n') });
  entries.push({ type: 'file', path: 'etc/group', data: Buffer.from('root:x:0:\n') });
  entries.push({ type: 'file', path: 'init', data: Buffer.from(STAGE1), mode: 0o755 });
  entries.push({ type: 'file', path: 'init2', data: Buffer.from(STAGE2), mode: 0o755 });
  for (const m of kernel.modules) entries.push({ type: 'file', path: `mods/${m.name}.ko`, data: await readFile(m.path) });
  entries.push({ type: 'file', path: 'mods/order', data: Buffer.from(kernel.modules.map((m) => m.name).join('\n') + '\n') });
  return entries;
}

export interface Initramfs {
  path: string;
  /** sha256 of the file's bytes (its name is derived from this). */
  sha256: string;
}

/** Builds (or finds) the initramfs for this kernel and agent. */
export async function ensureInitramfs(kernel: GuestKernel, cache = guestCacheDir()): Promise<Initramfs> {
  const agent = await agentBundle();
  const cpio = writeCpio(await initramfsEntries(kernel, agent));
  const sha256 = createHash('sha256').update(cpio).digest('hex');
  const path = join(cache, 'initramfs', `${sha256}.cpio`);
  if (!existsSync(path)) await publish(path, (temp) => writeFile(temp, cpio, { mode: 0o644 }));
  return { path, sha256 };
}
