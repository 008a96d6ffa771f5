// Start-up timings for profiling: with PODSMITH_WASM_TRACE=1 in the daemon's environment (supervisors inherit
// it), each step is written with its wall-clock time in milliseconds, the supervisor's to its supervisor.log,
// so the two sides can be lined up. Off, it costs a property read.
const on = !!process.env.PODSMITH_WASM_TRACE;

export function trace(step: string): void {
  if (on) process.stderr.write(`[wasm-trace ${process.pid} ${(performance.timeOrigin + performance.now()).toFixed(1)}] ${step}\n`);
}
