// Whether `pod-wasm` can run here: Node's WASI (preview 1) instantiates and starts a minimal module, and each
// pod's sandbox can be made.
import { mountApiAvailable } from '../../native/mount';
import { loadedLibraries } from '../pods/wasm/sandbox-root';
import { wasmApi } from '../pods/wasm/wasm-api';
import { findExecutable } from '../runtime/executables';
import { timed, type CheckResult } from './types';
import { sandboxIdSpan } from '../rootless/wasm-sandbox';

/** (module (memory (export "memory") 1) (func (export "_start"))) */
const MINIMAL_MODULE = Buffer.from('0061736d010000000104016000000302010005030100010713020' + '66d656d6f72790200065f73746172740000' + '0a040102000b', 'hex');

/** node:wasi announces itself as experimental on first use; doctor's output is not the place for that. */
function loadWasi(): typeof import('node:wasi') {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (/WASI/.test(typeof warning === 'string' ? warning : warning.message)) return;
    (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('node:wasi') as typeof import('node:wasi');
  } finally {
    process.emitWarning = emit;
  }
}

export function wasmCheck(): Promise<CheckResult> {
  return timed('wasi', 'wasm', false, async () => {
    const { WASI } = loadWasi();
    const wasi = new WASI({ version: 'preview1', args: [], env: {}, returnOnExit: true });
    const t = performance.now();
    const instance = new wasmApi.Instance(await wasmApi.compile(MINIMAL_MODULE), wasi.getImportObject() as Record<string, Record<string, unknown>>);
    wasi.start(instance as Parameters<typeof wasi.start>[0]);
    const ms = performance.now() - t;
    return {
      ok: true,
      detail: `node:wasi (preview 1) on Node ${process.version}: a module instantiated and ran in ${ms.toFixed(1)} ms`,
      version: process.version,
      facts: { instantiateMs: Math.round(ms * 10) / 10 },
    };
  });
}

/**
 * Whether a pod-wasm sandbox can be made here (engine/pods/wasm/sandbox.ts): root (to map an unprivileged id
 * and mount the pod into it), runc, the mount API (open_tree, mount_setattr, move_mount) and the libraries
 * Node loads (the sandbox's root holds them).
 */
export function wasmSandboxCheck(): Promise<CheckResult> {
  return timed('wasm-sandbox', 'wasm', false, async () => {
    const runc = findExecutable('runc');
    const missing: string[] = [];
    const span = sandboxIdSpan();
    if ('unavailable' in span) missing.push(`an id of its own (${span.unavailable})`);
    if (!runc) missing.push('runc');
    if (!mountApiAvailable()) missing.push('the mount API (open_tree, mount_setattr, move_mount: Linux 5.12 and glibc 2.36 or later)');
    let libraries = 0;
    try {
      libraries = loadedLibraries(process.execPath).length;
    } catch (err) {
      missing.push(`the list of Node's libraries (${(err as Error).message})`);
    }
    if (missing.length > 0)
      return {
        ok: false,
        detail: `a wasm pod's sandbox cannot be made: it needs ${missing.join(', ')}`,
        ...(!runc ? { fix: 'apt-get install -y runc' } : {}),
      };
    return {
      ok: true,
      detail: `each wasm pod's supervisor runs in a runc sandbox as an unprivileged id (runc at ${runc}; Node and ${libraries} libraries in its root)`,
      ...(runc ? { path: runc } : {}),
    };
  });
}
