// The code of a container's worker thread, as a string run with `new Worker(source, { eval: true })`: plain
// JavaScript using only Node built-ins, so it starts the same from the TypeScript sources and from the
// single-file bundle, with no loader in the thread (tsx would add hundreds of milliseconds per worker).
//
// Protocol (supervisor → worker): {input, module} (what to run and the compiled module: a thread boots before
// it knows its container, so a spare supervisor keeps some booted, worker-pool.ts), then 'start'. Worker →
// supervisor: {type:'ready', tid} once instantiated (or {type:'failed', message}); {type:'out', fd, data} for
// every write to stdout/stderr; {type:'exit', exitCode, reason, message, fuelLeft}. The supervisor ends a
// worker it gives up on with worker.terminate(), which stops even a module in a tight loop.
//
// What the thread adds around node:wasi (preview 1):
//   - fd_write on fds 1 and 2 goes to the supervisor, which writes CRI log records with whole lines. One call
//     writes at most 1 MiB (a short write, as a pipe may make: the C library writes the rest), posted in
//     64 KiB messages, and the module waits while more than 4 MiB are posted and not yet written: what a
//     module writes never becomes one huge buffer or string in the supervisor, nor an unbounded queue;
//   - preopens marked read-only (configMap, secret, readOnly mounts) refuse writes with EROFS: node:wasi has no
//     read-only preopens, so the calls that create, change or remove files under them are checked here, and
//     descriptors opened through a read-only one inherit the mark. Marks go by guest path (two preopens at
//     one path are refused); the kernel enforces the same, as those preopens are read-only binds in the
//     sandbox (sandbox.ts);
//   - proc_raise never reaches the process (node:wasi would raise the signal in the supervisor, stopping or
//     killing every container of the pod): a signal whose default action ends a process ends the module
//     with exit code 128 + its Linux number, as it would end a native one; one that is ignored, stops or
//     continues by default does nothing (nothing could resume a stopped module);
//   - poll_oneoff on clocks only (sleep: nanosleep, sleep, usleep) waits on a shared flag instead of in uvwasi:
//     worker.terminate() cannot interrupt a thread blocked in a native call, so a module sleeping for an hour
//     would otherwise keep its thread (and a stop) waiting that long; the supervisor raises the flag first;
//   - a trap is told apart: fuel exhausted, memory limit (the metering globals), or the module's own.
import { FUEL_EXPORT, MEM_LIMIT_EXPORT, OOM_EXPORT } from './metering';

export interface WorkerInput {
  args: string[];
  env: Record<string, string>;
  preopens: { guestPath: string; hostPath: string; readOnly: boolean }[];
  metered: boolean;
  /** Decimal string (an i64). */
  fuel: string;
  memoryLimitPages: number;
  /**
   * Int32Array(2) over a SharedArrayBuffer: [0] set to 1 (and notified) when the supervisor ends the
   * instance; [1] bytes of output posted and not yet written (the worker adds, the supervisor subtracts).
   */
  stop: Int32Array;
}

export type WorkerMessage =
  | { type: 'ready'; tid?: number }
  | { type: 'failed'; message: string }
  | { type: 'out'; fd: 1 | 2; data: Uint8Array }
  | { type: 'exit'; exitCode: number; signal?: number; reason: string; message?: string; fuelLeft?: string };

/** The first message a worker gets. */
export interface WorkerAssignment {
  input: WorkerInput;
  module: unknown;
}

export const WORKER_SOURCE = `
'use strict';
const { parentPort } = require('node:worker_threads');
const { WASI } = require('node:wasi');
const fs = require('node:fs');
const post = (m, t) => parentPort.postMessage(m, t);
const FUEL = ${JSON.stringify(FUEL_EXPORT)}, MEM_LIMIT = ${JSON.stringify(MEM_LIMIT_EXPORT)}, OOM = ${JSON.stringify(OOM_EXPORT)};
const EROFS = 69, EFAULT = 21, EINVAL = 28;
const MAX_WRITE = 1 << 20, CHUNK = 64 << 10, IN_FLIGHT = 4 << 20, IOV_MAX = 1024;
// WASI signal numbers (1-30) as Linux numbers, and which of them end a process by default.
const LINUX_SIGNAL = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31];
const SIGNAL_NAME = ['', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1', 'SIGSEGV', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGPOLL', 'SIGPWR', 'SIGSYS'];
const HARMLESS = new Set([16, 17, 18, 19, 20, 21, 22, 27]);
const O_CREAT = 1, O_EXCL = 4, O_TRUNC = 8;
// fd_write, fd_allocate, fd_filestat_set_size
const WRITE_RIGHTS = (1n << 6n) | (1n << 8n) | (1n << 22n);

let tid;
try { tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop()) || undefined; } catch {}

let d, wasi, instance, memory, raised;
const readOnly = new Set();
parentPort.once('message', ({ input, module }) => {
d = input;
try {
  const devnull = fs.openSync('/dev/null', 'r+');
  const preopens = {};
  const readOnlyPaths = new Set();
  for (const p of d.preopens) {
    if (Object.prototype.hasOwnProperty.call(preopens, p.guestPath)) throw new Error('two preopens at ' + p.guestPath);
    preopens[p.guestPath] = p.hostPath;
    if (p.readOnly) readOnlyPaths.add(p.guestPath);
  }
  // uvwasi numbers preopens from 3 in the order node:wasi reads them: this object's keys (never integer-like:
  // guest paths start with a slash).
  Object.keys(preopens).forEach((guest, i) => {
    if (readOnlyPaths.has(guest)) readOnly.add(3 + i);
  });
  wasi = new WASI({ version: 'preview1', args: d.args, env: d.env, preopens, stdin: devnull, stdout: devnull, stderr: devnull, returnOnExit: true });
  const w = wasi.wasiImport;
  const imp = Object.assign({}, w);
  const send = (fd, data) => {
    // Back-pressure: the supervisor subtracts what it has written and notifies.
    for (;;) {
      const inFlight = Atomics.load(d.stop, 1);
      if (inFlight <= IN_FLIGHT) break;
      if (Atomics.load(d.stop, 0) !== 0) throw new Error('the module was stopped');
      Atomics.wait(d.stop, 1, inFlight, 100);
    }
    Atomics.add(d.stop, 1, data.byteLength);
    post({ type: 'out', fd, data }, [data.buffer]);
  };
  imp.fd_write = (fd, iovs, n, nwritten) => {
    if (fd !== 1 && fd !== 2) return w.fd_write(fd, iovs, n, nwritten);
    if (n > IOV_MAX) return EINVAL;
    const view = new DataView(memory.buffer);
    const bytes = new Uint8Array(memory.buffer);
    if (iovs + n * 8 > bytes.length || nwritten + 4 > bytes.length) return EFAULT;
    const parts = [];
    let total = 0;
    for (let i = 0; i < n && total < MAX_WRITE; i++) {
      const ptr = view.getUint32(iovs + i * 8, true), len = view.getUint32(iovs + i * 8 + 4, true);
      if (ptr + len > bytes.length) return EFAULT;
      const take = Math.min(len, MAX_WRITE - total);
      if (take > 0) parts.push([ptr, take]);
      total += take;
    }
    for (const [ptr, take] of parts) for (let off = 0; off < take; off += CHUNK) send(fd, bytes.slice(ptr + off, ptr + Math.min(take, off + CHUNK)));
    view.setUint32(nwritten, total, true);
    return 0;
  };
  imp.proc_raise = (sig) => {
    if (sig === 0 || HARMLESS.has(sig)) return 0;
    if (!(sig > 0 && sig <= 30)) return EINVAL;
    raised = sig;
    throw new Error('the module raised ' + SIGNAL_NAME[sig]);
  };
  imp.path_open = (fd, dirflags, path, len, oflags, base, inheriting, fdflags, opened) => {
    if (readOnly.has(fd) && ((oflags & (O_CREAT | O_EXCL | O_TRUNC)) !== 0 || (BigInt(base) & WRITE_RIGHTS) !== 0n)) return EROFS;
    const r = w.path_open(fd, dirflags, path, len, oflags, base, inheriting, fdflags, opened);
    if (r === 0) {
      const nfd = new DataView(memory.buffer).getUint32(opened, true);
      if (readOnly.has(fd)) readOnly.add(nfd); else readOnly.delete(nfd);
    }
    return r;
  };
  const guard = (name, ...positions) => {
    imp[name] = (...a) => (positions.some((p) => readOnly.has(a[p])) ? EROFS : w[name](...a));
  };
  // Sleeping: subscriptions of 48 bytes (userdata u64, tag u8, clock id u32 @16, timeout u64 @24, flags u16
  // @40, 1 = absolute), events of 32 (userdata u64, error u16 @8, type u8 @10, fd_readwrite @16).
  const clockNs = (id) => (id === 0 ? BigInt(Date.now()) * 1000000n : process.hrtime.bigint());
  imp.poll_oneoff = (subsPtr, eventsPtr, nsubs, neventsPtr) => {
    const view = new DataView(memory.buffer);
    if (nsubs === 0) return 28;
    if (subsPtr + nsubs * 48 > view.byteLength || eventsPtr + nsubs * 32 > view.byteLength || neventsPtr + 4 > view.byteLength) return EFAULT;
    const subs = [];
    for (let i = 0; i < nsubs; i++) {
      const b = subsPtr + i * 48;
      if (view.getUint8(b + 8) !== 0) return w.poll_oneoff(subsPtr, eventsPtr, nsubs, neventsPtr);
      const id = view.getUint32(b + 16, true);
      if (id > 3) return 28;
      const timeout = view.getBigUint64(b + 24, true);
      const now = clockNs(id);
      const deadline = (view.getUint16(b + 40, true) & 1) !== 0 ? timeout : now + timeout;
      subs.push({ userdata: view.getBigUint64(b, true), id, deadline, waitMs: Number(deadline - now) / 1e6 });
    }
    const first = subs.reduce((a, b) => (b.waitMs < a.waitMs ? b : a));
    if (first.waitMs > 0) Atomics.wait(d.stop, 0, 0, first.waitMs);
    if (Atomics.load(d.stop, 0) !== 0) throw new Error('the module was stopped');
    let n = 0;
    for (const sub of subs) {
      if (sub !== first && clockNs(sub.id) < sub.deadline) continue;
      const e = eventsPtr + n * 32;
      view.setBigUint64(e, sub.userdata, true);
      view.setUint16(e + 8, 0, true);
      view.setUint8(e + 10, 0);
      view.setBigUint64(e + 16, 0n, true);
      view.setUint16(e + 24, 0, true);
      n++;
    }
    view.setUint32(neventsPtr, n, true);
    return 0;
  };
  guard('path_create_directory', 0);
  guard('path_remove_directory', 0);
  guard('path_unlink_file', 0);
  guard('path_filestat_set_times', 0);
  guard('path_symlink', 2);
  guard('path_link', 0, 4);
  guard('path_rename', 0, 3);
  guard('fd_filestat_set_times', 0);
  imp.fd_close = (fd) => { const r = w.fd_close(fd); if (r === 0) readOnly.delete(fd); return r; };
  imp.fd_renumber = (from, to) => {
    const r = w.fd_renumber(from, to);
    if (r === 0) { if (readOnly.has(from)) readOnly.add(to); else readOnly.delete(to); readOnly.delete(from); }
    return r;
  };
  instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: imp });
  memory = instance.exports.memory;
  if (d.metered) {
    instance.exports[FUEL].value = BigInt(d.fuel);
    instance.exports[MEM_LIMIT].value = d.memoryLimitPages;
  }
  post({ type: 'ready', tid });
} catch (e) {
  post({ type: 'failed', message: e && e.message ? e.message : String(e) });
  instance = undefined;
}
if (instance) parentPort.once('message', run);
});

function run() {
  let exitCode, reason, message, signal;
  try {
    exitCode = wasi.start(instance);
    reason = exitCode === 0 ? 'Completed' : 'Error';
  } catch (e) {
    const text = e && e.message ? e.message : String(e);
    if (d.metered && instance.exports[OOM].value) {
      exitCode = 137;
      reason = 'OOMKilled';
      message = 'linear memory would grow past the limit of ' + d.memoryLimitPages + ' pages (' + d.memoryLimitPages * 64 + ' KiB)';
    } else if (d.metered && instance.exports[FUEL].value < 0n) {
      exitCode = 137;
      reason = 'FuelExhausted';
      message = 'the instruction budget of ' + d.fuel + ' (fuel) is spent';
    } else {
      // What a native process that aborts gets (128 + SIGABRT).
      exitCode = 134;
      reason = 'Error';
      message = (e instanceof WebAssembly.RuntimeError ? 'wasm trap: ' : '') + text;
    }
  }
  // A raised signal ends the module even if it caught the exception the import threw (wasm catch_all).
  if (raised !== undefined) {
    signal = LINUX_SIGNAL[raised];
    exitCode = 128 + signal;
    reason = 'Error';
    message = 'the module raised ' + SIGNAL_NAME[raised] + ' (proc_raise)';
  }
  const fuelLeft = d.metered ? String(instance.exports[FUEL].value) : undefined;
  post({ type: 'exit', exitCode, signal, reason, message: message === undefined ? undefined : message.slice(0, 1024), fuelLeft });
  parentPort.close();
}
`;
