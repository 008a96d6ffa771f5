// WebAssembly workloads. Two shapes reach the engine:
//  - an OCI artifact whose layer *is* the module (wasm-to-oci, `application/wasm` or the CNCF wasm layer type);
//  - an ordinary image whose program (after the command/args rules) is a `.wasm` file in its rootfs.
// Neither can run under runc; the WASI runtime (node:wasi, preview1) gets argv/env/preopens from here instead.

import { posix } from 'node:path';
import type { Digest, ImageConfig, ImageManifest } from '../types';
import { expandCommand, rawArgv, resolveWorkingDir } from './command';
import { kubeletEnv, mergeEnv, podHostname } from './env';
import { lookupIn } from './expansion';
import { cleanDestination } from './mounts';
import { BundleError, type ContainerSpec, type EnvSources, type MountInput, type PodFacts } from './types';

export const WASM_LAYER_MEDIA_TYPES: readonly string[] = [
  'application/wasm',
  'application/vnd.wasm.content.layer.v1+wasm',
];

export type WasmArtifact =
  /** `title` is the layer's org.opencontainers.image.title annotation, the module's file name, when present. */
  { kind: 'wasm-layer'; layerDigest: Digest; title?: string } | { kind: 'wasm-entrypoint'; path: string };

function isWasmMediaType(mediaType: string): boolean {
  // Media types compare without parameters and case-insensitively (RFC 6838).
  const bare = mediaType.split(';')[0].trim().toLowerCase();
  return WASM_LAYER_MEDIA_TYPES.includes(bare);
}

/** Which kind of WebAssembly workload this is, or null for an ordinary container. A wasm layer wins. */
export function detectWasm(
  manifest: Pick<ImageManifest, 'layers'>,
  config: ImageConfig,
  container: Pick<ContainerSpec, 'command' | 'args'>,
): WasmArtifact | null {
  const layer = manifest.layers.find((l) => isWasmMediaType(l.mediaType));
  if (layer) {
    const title = layer.annotations?.['org.opencontainers.image.title'];
    return { kind: 'wasm-layer', layerDigest: layer.digest, ...(title ? { title } : {}) };
  }
  // Unexpanded argv: a program name built from $(VAR) cannot be judged before the env exists, and is rare.
  const program = rawArgv(config, container)[0];
  if (program && /\.wasm$/i.test(program)) return { kind: 'wasm-entrypoint', path: program };
  return null;
}

export interface WasmInvocationInput {
  artifact: WasmArtifact;
  image: ImageConfig;
  container: ContainerSpec;
  pod: PodFacts;
  sources?: EnvSources;
  /** Host path of the unpacked rootfs of a wasm-entrypoint image; preopened at `/`. */
  rootfsPath?: string;
  /** Prepared volumes, preopened at their destinations (bind mounts only). */
  mounts?: MountInput[];
}

export interface WasmPreopen {
  guestPath: string;
  hostPath: string;
  /** WASI preview1 in Node cannot enforce this; the runtime must (or refuse). */
  readOnly: boolean;
}

export interface WasmInvocation {
  /** The module to load: a blob by digest, or a file inside the rootfs (guest path, host path when known). */
  module: { kind: 'layer'; digest: Digest } | { kind: 'file'; guestPath: string; hostPath?: string };
  argv: string[];
  env: Record<string, string>;
  workingDir: string;
  preopens: WasmPreopen[];
  warnings: string[];
}

export function buildWasmInvocation(input: WasmInvocationInput): WasmInvocation {
  const { artifact, image, container, pod } = input;
  const env = kubeletEnv(container, pod, input.sources);
  // Not resolveArgv: a module artifact may carry no argv at all, which is fine here.
  const argv = rawArgv(image, expandCommand(container, lookupIn(env.vars)));
  const workingDir = resolveWorkingDir(image, container);

  let module: WasmInvocation['module'];
  if (artifact.kind === 'wasm-layer') {
    module = { kind: 'layer', digest: artifact.layerDigest };
    // argv[0] is only the program's name here; a bare module artifact rarely sets Entrypoint or Cmd.
    if (argv.length === 0) argv.push(artifact.title ?? 'module.wasm');
  } else {
    if (argv.length === 0)
      throw new BundleError(`container "${container.name}": no WebAssembly module to run`, 'NO_COMMAND');
    const guestPath = posix.resolve(workingDir, artifact.path);
    module = {
      kind: 'file',
      guestPath,
      ...(input.rootfsPath ? { hostPath: posix.join(input.rootfsPath, guestPath) } : {}),
    };
  }

  const preopens: WasmPreopen[] = [];
  const readOnlyRoot = container.securityContext?.readOnlyRootFilesystem === true;
  if (input.rootfsPath) preopens.push({ guestPath: '/', hostPath: input.rootfsPath, readOnly: readOnlyRoot });
  const warnings = [...env.warnings];
  for (const m of input.mounts ?? []) {
    if ((m.type ?? 'bind') !== 'bind') {
      warnings.push(
        `container "${container.name}": ${m.type} mount at ${m.destination} has no WASI equivalent and was left out`,
      );
      continue;
    }
    preopens.push({ guestPath: cleanDestination(m.destination), hostPath: m.source, readOnly: m.readOnly === true });
  }

  const merged = mergeEnv(image.config?.Env ?? undefined, env.vars, {
    hostname: podHostname(pod),
    tty: container.tty === true,
  });
  const envRecord: Record<string, string> = {};
  for (const entry of merged) {
    const eq = entry.indexOf('=');
    envRecord[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return { module, argv, env: envRecord, workingDir, preopens, warnings };
}
