// VM templates (Kata's "VM templating"): a guest booted once to its agent, frozen and saved, then cloned for
// each pod instead of booting. The template's RAM is a file (`memory-backend-file`, shared while it is booted
// and saved); only the device state is saved beside it (`x-ignore-shared`: 50-odd KB). A clone maps that file
// privately (copy-on-write: the file is never written again, and untouched pages stay shared between clones
// in the host's page cache) and loads the device state from an inherited descriptor (`-incoming fd:3`), then
// runs on from where the template stopped: an idle agent, waiting for its host.
//
// What makes it safe to clone:
//   - No 9p export is mounted when the template is saved (QEMU refuses to save then): the agent mounts the
//     pod's shares only in pod.start, and its tools come from a read-only block image.
//   - The devices are the ones a pod of that shape gets, in the same order (the microvm machine has no
//     hotplug): tools, agent port, RNG, the two 9p shares (empty directories while building) and, for pods
//     with a network, the NIC (on a dead hub port while building; on the pod's passt in a clone). One template
//     per shape: accelerator, vCPUs, memory, NIC or not.
//   - Every clone is thawed before anything runs in it (agent guest.thaw): fresh entropy from the host, the
//     kernel RNG reseeded, the wall clock set. The template's agent never reads the boot id, so the kernel
//     makes one per clone. pod.start is refused until then.
// A template is keyed by everything that went into it (QEMU binary, kernel, initramfs with the agent, tools
// image, shape, format), kept under the guest cache's `templates/`, built under a temporary name and renamed
// into place. A builder that died midway (a daemon killed) leaves a temporary directory and a socket
// directory: the next daemon's reconcile (or the next build) kills its QEMU and removes both.
import { createHash, randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, openSync, closeSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { failpoint } from '../native/failpoint';
import { isAlive, listPids, readCmdline, signalProcess, waitGone } from '../../runtime/processes';
import { AgentClient } from './agent-client';
import { guestCacheDir, type GuestImage } from './guest';
import { publish } from './guest/cache';
import { findQemu, hostTscKhz } from './launch';
import { POD_SHARE_TAG, OUT_SHARE_TAG } from './plan';
import { Qmp } from './qmp';
import { qemuArgs, type Share } from './qemu-command';

/** Bumped when what a template holds or how it is cloned changes. */
const FORMAT = 'template-v1';
const TEMPLATE_FILE = 'template.json';

export interface TemplateShape {
  accel: 'kvm' | 'tcg';
  vcpus: number;
  memoryMiB: number;
  /** Whether the pod has a NIC (podsmith.io/network: none has none). */
  nic: boolean;
}

export interface VmTemplate {
  key: string;
  dir: string;
  ramFile: string;
  stateFile: string;
  shape: TemplateShape;
}

interface TemplateInfo {
  format: string;
  key: string;
  shape: TemplateShape;
  kernel: string;
  createdAt: string;
  /** Milliseconds to boot the template's guest and save it. */
  buildMs: number;
}

/** `$PODSMITH_MICROVM_TEMPLATES_DIR`, else `templates/` in the guest cache. */
export function templatesDir(cache = guestCacheDir(), env: NodeJS.ProcessEnv = process.env): string {
  return env.PODSMITH_MICROVM_TEMPLATES_DIR || join(cache, 'templates');
}

/** Whether templates are used: on unless PODSMITH_MICROVM_TEMPLATES=0 or the runtime's option says no. */
export function templatesWanted(option: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.PODSMITH_MICROVM_TEMPLATES === '0') return false;
  return option !== false;
}

function shapeName(s: TemplateShape): string {
  return `${s.accel}-${s.vcpus}cpu-${s.memoryMiB}m-${s.nic ? 'nic' : 'nonic'}`;
}

export function templateKey(image: GuestImage, shape: TemplateShape): string {
  const qemu = findQemu();
  const st = statSync(qemu);
  const h = createHash('sha256');
  h.update(`${FORMAT}\n${qemu}\0${st.size}\0${st.mtimeMs}\0${st.ino}\n`);
  h.update(`${image.kernel.vmlinux}\0${image.kernel.release}\0${image.kernel.packageVersion}\n${image.initramfs.path}\n${image.tools.key}\n`);
  h.update(JSON.stringify(shape));
  return `${shapeName(shape)}-${h.digest('hex').slice(0, 24)}`;
}

/** The devices of a VM of this shape, identical for the template and its clones (only backends differ). */
export function templateShares(pod: string, out: string): Share[] {
  return [
    { tag: POD_SHARE_TAG, path: pod, readOnly: true },
    { tag: OUT_SHARE_TAG, path: out, readOnly: false },
  ];
}

async function readTemplate(dir: string): Promise<VmTemplate | undefined> {
  try {
    const info = JSON.parse(await readFile(join(dir, TEMPLATE_FILE), 'utf8')) as TemplateInfo;
    if (info.format !== FORMAT) return undefined;
    const t = { key: info.key, dir, ramFile: join(dir, 'ram'), stateFile: join(dir, 'state'), shape: info.shape };
    return existsSync(t.ramFile) && existsSync(t.stateFile) ? t : undefined;
  } catch {
    return undefined;
  }
}

/** A build's socket directory in the temporary directory: this, the builder's pid, a dash and a random part. */
const SOCKETS_PREFIX = 'podsmith-tpl-';

/** Kills the QEMU of builds whose builder process is gone (a daemon killed midway), and removes their directories. */
export async function sweepAbandonedBuilds(root: string): Promise<void> {
  for (const n of await readdir(tmpdir()).catch(() => [] as string[])) {
    const m = new RegExp(`^${SOCKETS_PREFIX}(\\d+)-`).exec(n);
    if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) await rm(join(tmpdir(), n), { recursive: true, force: true });
  }
  const names = await readdir(root).catch(() => [] as string[]);
  for (const n of names) {
    const m = /\.tmp-(\d+)-[0-9a-f]+$/.exec(n);
    if (!m || (Number(m[1]) !== process.pid && isAlive(Number(m[1])))) continue;
    if (Number(m[1]) === process.pid && building.size > 0) continue;
    const dir = join(root, n);
    for (const pid of listPids()) {
      const argv = await readCmdline(pid);
      if (argv?.[0]?.endsWith('qemu-system-x86_64') && argv.some((a) => a.includes(dir + '/'))) {
        signalProcess(pid, 'SIGKILL');
        await waitGone(pid, 10_000);
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
}

/** Removes other templates of the same shape (older agents, kernels or QEMUs): they would never be used again. */
async function pruneSameShape(root: string, keep: VmTemplate): Promise<void> {
  const prefix = shapeName(keep.shape) + '-';
  for (const n of await readdir(root).catch(() => [] as string[])) {
    if (n.startsWith(prefix) && n !== keep.key && !n.includes('.tmp-')) await rm(join(root, n), { recursive: true, force: true });
  }
}

const building = new Map<string, Promise<VmTemplate>>();
/** Keys whose build or clone failed lately: not tried again for a while, so pods do not pay a failing build each. */
const failedAt = new Map<string, number>();
const RETRY_AFTER_MS = 10 * 60_000;

export interface TemplateOptions {
  image: GuestImage;
  shape: TemplateShape;
  /** Where templates are kept (default: `templates/` in the guest cache). */
  dir?: string;
  /** How long the template's guest may take to boot (TCG under load is slow). */
  bootTimeoutMs?: number;
}

/** The template for this shape, built (one boot, then saved) when there is none yet. */
export async function ensureTemplate(o: TemplateOptions): Promise<VmTemplate> {
  const root = o.dir ?? templatesDir();
  const key = templateKey(o.image, o.shape);
  const existing = await readTemplate(join(root, key));
  if (existing) return existing;
  const failed = failedAt.get(key);
  if (failed !== undefined && Date.now() - failed < RETRY_AFTER_MS) throw new Error(`the template ${key} failed ${Math.round((Date.now() - failed) / 1000)} s ago; it is tried again ${RETRY_AFTER_MS / 60_000} minutes after`);
  let p = building.get(key);
  if (!p) {
    p = (async () => {
      await mkdir(root, { recursive: true, mode: 0o700 });
      await sweepAbandonedBuilds(root);
      const target = join(root, key);
      await publish(target, (work) => buildTemplate(o, key, work));
      const t = await readTemplate(target);
      if (!t) throw new Error(`the template ${target} was built but cannot be read`);
      await pruneSameShape(root, t);
      return t;
    })();
    building.set(key, p);
    p.catch(() => failedAt.set(key, Date.now()));
    void p.finally(() => building.delete(key)).catch(() => undefined);
  }
  return p;
}

/** Forgets a template that failed to clone (built again on a use some minutes later). */
export async function discardTemplate(t: VmTemplate): Promise<void> {
  failedAt.set(t.key, Date.now());
  await rm(t.dir, { recursive: true, force: true });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

async function buildTemplate(o: TemplateOptions, key: string, work: string): Promise<void> {
  const began = Date.now();
  await mkdir(work, { mode: 0o700 });
  await mkdir(join(work, 'pod'));
  await mkdir(join(work, 'out'));
  // Sockets in a short directory of their own (a unix socket path has at most 107 bytes).
  const sockets = await mkdtemp(join(tmpdir(), `${SOCKETS_PREFIX}${process.pid}-`));
  const controlSocket = join(sockets, 'ctl.sock');
  const qmpSocket = join(sockets, 'qmp.sock');
  const args = qemuArgs({
    image: o.image,
    accel: o.shape.accel,
    vcpus: o.shape.vcpus,
    memoryMiB: o.shape.memoryMiB,
    controlSocket,
    consoleLog: join(work, 'console.log'),
    shares: templateShares(join(work, 'pod'), join(work, 'out')),
    nicOnHub: o.shape.nic,
    tscKhz: hostTscKhz(),
    name: 'podsmith-vm-template',
    mode: 'template',
    ramFile: { path: join(work, 'ram'), share: true },
    qmpSocket,
  });
  const log = openSync(join(work, 'qemu.log'), 'a', 0o600);
  let qemu: ChildProcess;
  try {
    qemu = spawn(findQemu(), args, { stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  const alive = () => qemu.exitCode === null && qemu.signalCode === null;
  const timeoutMs = o.bootTimeoutMs ?? 120_000;
  let qmp: Qmp | undefined;
  try {
    const agent = await AgentClient.connect(controlSocket, { timeoutMs, alive });
    try {
      await agent.request('guest.freeze', {}, 30_000);
    } finally {
      agent.close();
    }
    failpoint('run_pod:template-booted');
    qmp = await Qmp.open(qmpSocket, 30_000, alive);
    await qmp.execute('stop');
    await qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'x-ignore-shared', state: true }] });
    // The device state, through a socket of ours into the file (QEMU 7.2 has no file: URI, and its sandbox forbids exec:).
    const stateFile = join(work, 'state');
    const migSocket = join(sockets, 'mig.sock');
    const received = new Promise<void>((resolve, reject) => {
      const server = createServer((conn) => {
        server.close();
        const out = createWriteStream(stateFile, { mode: 0o600 });
        conn.pipe(out);
        out.on('finish', () => resolve());
        out.on('error', reject);
        conn.on('error', reject);
      });
      server.on('error', reject);
      server.listen(migSocket);
    });
    await qmp.execute('migrate', { uri: `unix:${migSocket}` });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const s = (await qmp.execute('query-migrate')) as { status?: string; 'error-desc'?: string };
      if (s.status === 'completed') break;
      if (s.status === 'failed' || s.status === 'cancelled') throw new Error(`saving the template failed: ${s['error-desc'] ?? s.status}`);
      if (Date.now() > deadline) throw new Error('saving the template took over 60 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    await received;
    await qmp.execute('quit').catch(() => undefined);
    await exited(qemu);
    const info: TemplateInfo = { format: FORMAT, key, shape: o.shape, kernel: o.image.kernel.release, createdAt: new Date().toISOString(), buildMs: Date.now() - began };
    for (const f of ['pod', 'out']) await rm(join(work, f), { recursive: true, force: true });
    await writeFile(join(work, TEMPLATE_FILE), JSON.stringify(info, null, 1) + '\n', { mode: 0o600 });
  } catch (err) {
    const tail = (await readFile(join(work, 'qemu.log'), 'utf8').catch(() => '')).trim().split('\n').slice(-2).join('; ');
    throw new Error(`building the microVM template ${key} failed: ${(err as Error).message}${tail ? ` (QEMU: ${tail})` : ''}`);
  } finally {
    qmp?.close();
    if (alive()) qemu.kill('SIGKILL');
    await exited(qemu);
    await rm(sockets, { recursive: true, force: true });
  }
}

/** Fresh entropy for one clone (never reused: each clone gets its own). */
export function cloneSeed(): string {
  return randomBytes(64).toString('base64');
}

/** The state file's descriptor number in a clone's QEMU (its stdio plus this one). */
export const CLONE_STATE_FD = 3;

/**
 * Loads the template's device state into a clone started with `incoming` (its state file open on
 * CLONE_STATE_FD): the guest then runs on by itself. Rejects when QEMU refuses the state or exits.
 */
export async function restoreClone(qmpSocket: string, alive: () => boolean, timeoutMs = 60_000): Promise<void> {
  const qmp = await Qmp.open(qmpSocket, timeoutMs, alive);
  try {
    await qmp.execute('migrate-set-capabilities', { capabilities: [{ capability: 'x-ignore-shared', state: true }] });
    await qmp.execute('migrate-incoming', { uri: `fd:${CLONE_STATE_FD}` });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = (await qmp.execute('query-migrate')) as { status?: string; 'error-desc'?: string };
      if (s.status === 'completed') break;
      if (s.status === 'failed' || s.status === 'cancelled') throw new Error(`QEMU could not load the template's state: ${s['error-desc'] ?? s.status}`);
      if (Date.now() > deadline) throw new Error(`loading the template's state took over ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 2));
    }
    // Running by itself once loaded (autostart); `cont` in case it is not yet.
    const st = (await qmp.execute('query-status')) as { running?: boolean };
    if (!st.running) await qmp.execute('cont');
  } finally {
    qmp.close();
  }
}
