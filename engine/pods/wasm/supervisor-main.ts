// The supervisor process of one wasm pod, inside the pod's sandbox (sandbox.ts: its own user, mount and pid
// namespaces, run by runc; stdin a socket from the runtime, stdout/stderr the sandbox's log), started as
//   node /app/wasm-supervisor.js --spare <threads>              (dist/wasm-supervisor.js, or the sources bundled)
//   node /app/dist/podsmith.js __wasm-supervisor --spare <threads>   (the CLI calls runWasmSupervisor)
// It starts before its pod is known (a spare, spare.ts): it boots Node and that many container threads, says
// so with a line on stdin, then waits for a line there, which the runtime writes once the pod is mounted at
// /s/pod (paths.ts). End of file first (the runtime closed the socket or died) and the spare leaves. Once
// assigned the socket no longer matters: the pod outlives the daemon. It ends once the pod is over: stopped
// (SIGTERM), done (restartPolicy says no more restarts), or failed to start (status.json says why).
import { writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodSupervisor } from './pod-supervisor';
import { SandboxPodPaths } from './paths';
import { readJsonSync, type WasmPodRecord } from './records';
import { trace } from './trace';
import { warmUp } from './warm-up';
import { WorkerPool } from './worker-pool';

/** Whether a line arrived on stdin (the pod is there); false at end of file without one. */
function readAssignment(): Promise<boolean> {
  return new Promise((resolve) => {
    let text = '';
    const done = (assigned: boolean) => {
      process.stdin.off('data', onData);
      process.stdin.off('end', onEnd);
      process.stdin.destroy();
      resolve(assigned);
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl >= 0) done(true);
    };
    const onEnd = () => done(false);
    process.stdin.on('data', onData);
    process.stdin.once('end', onEnd);
    process.stdin.once('error', onEnd);
  });
}

/** Runs a spare supervisor (`--spare <threads>`) until its pod is over; resolves with the process exit code. */
export async function runWasmSupervisor(argv: string[]): Promise<number> {
  if (argv[0] !== '--spare') {
    process.stderr.write('usage: __wasm-supervisor --spare <threads> (inside a wasm pod sandbox)\n');
    return 2;
  }
  const pool = new WorkerPool(Math.max(0, Math.min(16, Number(argv[1]) || 0)));
  // Not yet a pod's: a stop request before the assignment just ends the spare.
  const leave = () => {
    pool.close();
    process.exit(0);
  };
  process.on('SIGTERM', leave);
  await warmUp(join(tmpdir(), 'warm-up'));
  trace('spare ready');
  try {
    // stdin is a socket from the runtime: the line back tells it this spare is warm (spare.ts).
    writeSync(0, 'ready\n');
  } catch {
    // Nobody listening any more: the assignment read below sees the end.
  }
  const assigned = await readAssignment();
  trace('assigned');
  process.off('SIGTERM', leave);
  if (!assigned) {
    leave();
    return 0;
  }
  const paths = new SandboxPodPaths();
  const record = readJsonSync<WasmPodRecord>(paths.podFile);
  if (!record) {
    process.stderr.write(`no readable pod.json at ${paths.podFile}\n`);
    pool.close();
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
