// A stand-in daemon for spare.test.ts: opens a wasm runtime on the home given as argv[2], prints the pid of its
// spare supervisor once it is up, and waits to be killed.
import { createWasmRuntime } from '../../engine/pods/wasm';

const runtime = createWasmRuntime({ home: process.argv[2]! });
const timer = setInterval(() => {
  const spare = runtime.spareSupervisor();
  if (!spare) return;
  clearInterval(timer);
  process.stdout.write(`${spare.pid}\n`);
  setInterval(() => undefined, 1000);
}, 10);
