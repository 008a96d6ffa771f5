// The parts of the WebAssembly JavaScript API this runtime uses. The project compiles against lib ES2022
// without the DOM library, which is where TypeScript declares `WebAssembly`, so they are declared here.

/** A compiled module (opaque here; it can be posted to a worker thread). */
export interface CompiledModule {
  readonly __compiledModule?: never;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WebAssemblyApi {
  compile(bytes: Uint8Array): Promise<CompiledModule>;
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => CompiledModule;
  Instance: new (module: CompiledModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
}

export const wasmApi = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
