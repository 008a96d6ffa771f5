// A separate process that writes numbered CRI lines and rotates its log the way real writers do, for the follow
// tests. Run: node --import tsx cri-writer.ts '<json WriterConfig>'. Prints nothing; exits 0 when done.
//   stdout lines: `out-<n>` for n = 1..lines; every `splitEvery`-th one written as P, P, F pieces, with a stderr
//   line `err-<m>` in the middle of it (so the pieces of the two streams interleave).
//   mode rename:   PATH → PATH.1 (older ones shifted, `keep` rotated files kept), `linger` more lines into the
//                  renamed file, then a new PATH (logrotate's create, a slow writer reopening)
//   mode reopen:   like conmon: never rotates by itself; on the IPC message `reopen` (sent by the test's
//                  LogRotator after it renamed PATH) it closes its file and creates a new PATH through PATH.tmp,
//                  writing into the renamed file until then
//   mode truncate: copytruncate: the file is truncated in place; before each truncation the writer asks the parent
//                  (IPC) and waits for `go`, so the follower has read everything (otherwise lines are lost by design)
// Flow control (`gate`): every `every` lines the writer waits until the parent says the follower has seen
// out-(n - lag), so a follower slowed down by a busy machine never falls behind the kept files (the tests check
// that nothing is lost by the follower's logic, not by CPU scheduling). IPC: the writer sends {out: k} and waits
// for any message back.
import { closeSync, ftruncateSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { formatCriRecord, formatCriTime } from '../../../engine/logs/cri-format';

export interface WriterConfig {
  path: string;
  mode: 'rename' | 'reopen' | 'truncate';
  lines: number;
  /** Lines between rotations (rename and truncate modes). */
  rotateEvery?: number;
  keep?: number;
  linger?: number;
  splitEvery?: number;
  gate?: { every: number; lag: number };
}

const cfg = JSON.parse(process.argv[2]) as WriterConfig;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let fd = openSync(cfg.path, 'a');
let errCount = 0;
let finished = false;

const now = () => formatCriTime(Date.now());
const put = (s: string) => writeSync(fd, s);

function writeLine(n: number): void {
  if (cfg.splitEvery && n % cfg.splitEvery === 0) {
    put(formatCriRecord(now(), 'stdout', true, `out-`));
    put(formatCriRecord(now(), 'stderr', false, `err-${++errCount}`));
    put(formatCriRecord(now(), 'stdout', true, `${n}`.slice(0, 1)));
    put(formatCriRecord(now(), 'stdout', false, `${n}`.slice(1)));
  } else {
    put(formatCriRecord(now(), 'stdout', false, `out-${n}`));
  }
}

function waitForGo(out: number): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown) => {
      if (m !== 'go') return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
    process.send!({ out });
  });
}

async function rotate(n: number): Promise<void> {
  const keep = cfg.keep ?? 3;
  if (cfg.mode === 'rename') {
    rmSync(`${cfg.path}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      try {
        renameSync(`${cfg.path}.${i}`, `${cfg.path}.${i + 1}`);
      } catch {
        // not there yet
      }
    }
    renameSync(cfg.path, `${cfg.path}.1`);
    for (let i = 0; i < (cfg.linger ?? 0); i++) put(formatCriRecord(now(), 'stdout', true, ''));
    // Deliberate, not a wait: a slow writer leaves a moment with no live file, which the follower must ride out.
    await sleep(2);
    closeSync(fd);
    fd = openSync(cfg.path, 'a');
  } else {
    await waitForGo(n);
    ftruncateSync(fd, 0);
  }
}

/** conmon's reopen: the old file is closed before the new one appears under PATH. */
function reopen(): void {
  if (finished) return;
  closeSync(fd);
  fd = openSync(`${cfg.path}.tmp`, 'w');
  renameSync(`${cfg.path}.tmp`, cfg.path);
}

async function main(): Promise<void> {
  if (cfg.mode === 'reopen') process.on('message', (m) => m === 'reopen' && reopen());
  for (let n = 1; n <= cfg.lines; n++) {
    writeLine(n);
    if (cfg.rotateEvery && n % cfg.rotateEvery === 0 && n < cfg.lines) await rotate(n);
    if (cfg.gate && n % cfg.gate.every === 0 && n - cfg.gate.lag > 0) await waitForGo(n - cfg.gate.lag);
  }
  finished = true;
  closeSync(fd);
  process.disconnect?.();
}

void main();
