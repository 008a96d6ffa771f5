// The supervisor process of one wasm pod. The daemon spawns it detached (its own session, stdio to the pod's
// supervisor.log), so the pod keeps running when the daemon exits, as native pods do under conmon:
//   from the sources:  node --require tsx/cjs engine/pods/wasm/supervisor-main.ts <pod dir>
//   from the bundle:   node dist/wasm-supervisor.js <pod dir>   (a bundle of this file alone, when built)
//                 or   node dist/podsmith.js __wasm-supervisor <pod directory>   (the CLI calls runWasmSupervisor)
// or, instead of `<pod directory>`, `--spare <log> <threads>`: a spare started before its pod (spare.ts) that
// boots Node and that many container threads, then reads the pod directory from stdin. Until then its stdin is
// the runtime's pipe: end of file (the runtime closed it or died) and the spare leaves, removing its log.
// Once assigned it is an ordinary supervisor: the pipe no longer matters, the pod outlives the daemon.
// It ends once the pod is over: stopped (SIGTERM), done (restartPolicy says no more restarts), or failed to
// start (status.json says why).
import { rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { PodSupervisor } from './pod-supervisor';
import { WasmPodPaths } from './paths';
import { readJsonSync, type WasmPodRecord } from './records';
import { trace } from './trace';
import { warmUp, warmUpDir } from './warm-up';
import { WorkerPool } from './worker-pool';

/** The pod directory, from the first line on stdin; undefined at end of file without one. */
function readAssignment(): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const done = (dir: string | undefined) => {
      process.stdin.off('data', onData);
      process.stdin.off('end', onEnd);
      process.stdin.destroy();
      resolve(dir);
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl >= 0) done(text.slice(0, nl) || undefined);
    };
    const onEnd = () => done(undefined);
    process.stdin.on('data', onData);
    process.stdin.once('end', onEnd);
    process.stdin.once('error', onEnd);
  });
}

/** Runs the supervisor of the pod directory `argv[0]` (or a spare's); resolves with the process exit code. */
export async function runWasmSupervisor(argv: string[]): Promise<number> {
  let dir: string | undefined = argv[0];
  let pool: WorkerPool | undefined;
  if (dir === '--spare') {
    const log = argv[1];
    pool = new WorkerPool(Math.max(0, Math.min(16, Number(argv[2]) || 0)));
    // Not yet a pod's: a stop request before the assignment just ends the spare.
    const leave = () => {
      pool?.close();
      if (log) for (const p of [log, warmUpDir(log)]) rmSync(p, { recursive: true, force: true });
      process.exit(0);
    };
    process.on('SIGTERM', leave);
    if (log) await warmUp(warmUpDir(log));
    trace('spare ready');
    dir = await readAssignment();
    trace('assigned');
    process.off('SIGTERM', leave);
    if (!dir) {
      leave();
      return 0;
    }
  }
  if (!dir) {
    process.stderr.write('usage: __wasm-supervisor <pod directory> | --spare <log> <threads>\n');
    return 2;
  }
  const paths = new WasmPodPaths(dirname(dirname(dir)), basename(dir));
  const record = readJsonSync<WasmPodRecord>(paths.podFile);
  if (!record) {
    process.stderr.write(`no readable pod.json in ${dir}\n`);
    pool?.close();
    return 2;
  }
  const supervisor = new PodSupervisor(paths, record, pool);
  const stop = () => void supervisor.stop();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // A detached process has no terminal, but a stray hangup must not end the pod.
  process.on('SIGHUP', () => undefined);
  void supervisor.run();
  return supervisor.done;
}

// Started directly: from the sources, or as its own bundle (never inside the CLI bundle, podsmith.js).
if (/(supervisor-main\.ts|wasm-supervisor\.js)$/.test(__filename) && process.argv[1] === __filename) {
  runWasmSupervisor(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`wasm supervisor failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
