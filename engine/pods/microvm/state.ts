// Reading the agent's status.json. The guest writes it, and a guest may be hostile (a container that took
// over the guest kernel can write anything there), so the host reads at most 1 MiB, keeps only known fields
// of known types, only the pod's own containers, with strings cut to sane sizes; anything else is dropped and
// the file counts as unreadable.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { ContainerState } from '../types';
import type { GuestContainerStatus, GuestFailure, GuestPhase, GuestState } from './protocol/messages';
import type { VmPodRecord } from './records';

const MAX_FILE = 1 << 20;
const PHASES: GuestPhase[] = ['starting', 'initializing', 'running', 'stopping', 'stopped', 'failed'];

const str = (v: unknown, max: number): string | undefined => (typeof v === 'string' ? v.slice(0, max) : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? v : undefined);
const time = (v: unknown): string | undefined => (typeof v === 'string' && v.length <= 40 && !Number.isNaN(Date.parse(v)) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

function containerState(v: unknown): ContainerState {
  const s = obj(v) ?? {};
  const out: ContainerState = {};
  const w = obj(s.waiting);
  const r = obj(s.running);
  const t = obj(s.terminated);
  if (t && int(t.exitCode) !== undefined && time(t.finishedAt)) {
    out.terminated = {
      exitCode: int(t.exitCode)!,
      reason: str(t.reason, 64) ?? 'Error',
      finishedAt: time(t.finishedAt)!,
      ...(int(t.signal) !== undefined ? { signal: int(t.signal) } : {}),
      ...(str(t.message, 4096) ? { message: str(t.message, 4096) } : {}),
      ...(time(t.startedAt) ? { startedAt: time(t.startedAt) } : {}),
    };
  } else if (r && time(r.startedAt)) out.running = { startedAt: time(r.startedAt)! };
  else if (w) out.waiting = { reason: str(w.reason, 64) ?? 'Waiting', ...(str(w.message, 4096) ? { message: str(w.message, 4096) } : {}) };
  return out;
}

function container(v: unknown, known: VmPodRecord['containers'][number]): GuestContainerStatus {
  const c = obj(v) ?? {};
  const backoff = obj(c.backoff);
  return {
    name: known.name,
    kind: known.kind,
    restartCount: Math.max(0, int(c.restartCount) ?? 0),
    ...(str(c.instance, 128) ? { instance: str(c.instance, 128) } : {}),
    ...(str(c.lastId, 128) ? { lastId: str(c.lastId, 128) } : {}),
    state: containerState(c.state),
    lastState: containerState(c.lastState),
    ready: c.ready === true,
    started: c.started === true,
    ...(backoff && int(backoff.seconds) !== undefined && time(backoff.until) ? { backoff: { seconds: int(backoff.seconds)!, until: time(backoff.until)! } } : {}),
  };
}

function failure(v: unknown): GuestFailure | undefined {
  const f = obj(v);
  if (!f || (f.code !== 'START_FAILED' && f.code !== 'INIT_FAILED')) return undefined;
  return {
    code: f.code,
    message: str(f.message, 4096) ?? 'the pod failed to start',
    ...(str(f.container, 253) ? { container: str(f.container, 253) } : {}),
    ...(str(f.reason, 64) ? { reason: str(f.reason, 64) } : {}),
    ...(int(f.exitCode) !== undefined ? { exitCode: int(f.exitCode) } : {}),
  };
}

/** The checked state, or undefined when the text is not a state of this pod. */
export function checkGuestState(text: string, pod: VmPodRecord): GuestState | undefined {
  let raw: Record<string, unknown> | undefined;
  try {
    raw = obj(JSON.parse(text));
  } catch {
    return undefined;
  }
  if (!raw || raw.uid !== pod.uid || !PHASES.includes(raw.phase as GuestPhase)) return undefined;
  const list = Array.isArray(raw.containers) ? raw.containers.slice(0, 64) : [];
  const byName = new Map<string, unknown>();
  for (const c of list) {
    const name = obj(c)?.name;
    if (typeof name === 'string' && !byName.has(name)) byName.set(name, c);
  }
  const ips = Array.isArray(raw.podIPs) ? raw.podIPs.filter((ip): ip is string => typeof ip === 'string' && /^[0-9a-fA-F.:]{2,45}$/.test(ip)).slice(0, 4) : [];
  const f = failure(raw.failure);
  return {
    version: 1,
    uid: pod.uid,
    seq: int(raw.seq) ?? 0,
    phase: raw.phase as GuestPhase,
    ...(f ? { failure: f } : {}),
    ...(str(raw.reason, 64) ? { reason: str(raw.reason, 64) } : {}),
    ...(str(raw.message, 4096) ? { message: str(raw.message, 4096) } : {}),
    ...(time(raw.startTime) ? { startTime: time(raw.startTime) } : {}),
    ...(ips.length ? { podIPs: ips } : {}),
    containers: pod.containers.map((k) => container(byName.get(k.name), k)),
    updatedAt: time(raw.updatedAt) ?? new Date(0).toISOString(),
  };
}

export async function readGuestState(path: string, pod: VmPodRecord): Promise<GuestState | undefined> {
  let fh;
  try {
    // No symlink, no FIFO to hang on (the out share's mapped-file model makes neither, but the host does not rely on it).
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    if (!(await fh.stat()).isFile()) {
      await fh.close();
      return undefined;
    }
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(MAX_FILE + 1);
    let n = 0;
    for (;;) {
      const r = await fh.read(buf, n, buf.length - n, n);
      if (r.bytesRead === 0) break;
      n += r.bytesRead;
      if (n > MAX_FILE) return undefined;
    }
    return checkGuestState(buf.toString('utf8', 0, n), pod);
  } finally {
    await fh.close();
  }
}
