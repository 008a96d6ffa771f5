// The supervisor process of one wasm pod. The daemon spawns it detached (its own session, stdio to the pod's
// supervisor.log), so the pod keeps running when the daemon exits, as native pods do under conmon:
//   from the sources:  node --require tsx/cjs engine/pods/wasm/supervisor-main.ts <pod dir>
//   from the bundle:   node dist/wasm-supervisor.js <pod dir>   (a bundle of this file alone, when built)
//                 or   node dist/podsmith.js __wasm-supervisor <pod dir>   (the CLI calls runWasmSupervisor)
// It ends once the pod is over: stopped (SIGTERM), done (restartPolicy says no more restarts), or failed to
// start (status.json says why).
import { basename, dirname } from 'node:path';
import { PodSupervisor } from './pod-supervisor';
import { WasmPodPaths } from './paths';
import { readJsonSync, type WasmPodRecord } from './records';

/** Runs the supervisor of the pod directory `argv[0]`; resolves with the process exit code. */
export async function runWasmSupervisor(argv: string[]): Promise<number> {
  const dir = argv[0];
  if (!dir) {
    process.stderr.write('usage: __wasm-supervisor <pod directory>\n');
    return 2;
  }
  const paths = new WasmPodPaths(dirname(dirname(dir)), basename(dir));
  const record = readJsonSync<WasmPodRecord>(paths.podFile);
  if (!record) {
    process.stderr.write(`no readable pod.json in ${dir}\n`);
    return 2;
  }
  const supervisor = new PodSupervisor(paths, record);
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
