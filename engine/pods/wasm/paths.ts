// Where a wasm pod lives, under `$PODSMITH_HOME/wasm-pods/<uid>/` (the daemon's; the pod's sandbox sees it
// read-only at /s/pod, sandbox.ts):
//   pod.json              what the daemon decided: the admitted spec, each container's plan (module, argv, env,
//                         preopens, limits), the lifecycle, the sandbox and the supervisor's pid (records.ts)
//   stop.json             the grace period of a stop request, read by the supervisor on SIGTERM
//   final.json            the pod's last state when the daemon had to write it (the supervisor died first)
//   supervisor.log        the supervisor's own stdout/stderr (not the containers')
//   modules/<name>.wasm   the (metered) module each container runs
//   c/<name>/             the unpacked image of a container whose entrypoint is a .wasm file
//   volumes/<name>/       emptyDir, configMap, secret, downwardAPI contents (engine/pods/native/volumes.ts)
//   sandbox/              the one directory the supervisor writes (owned by the sandbox's id, untrusted):
//     status.json         what the supervisor saw: every container's state, restart counts, conditions
//     logs/<name>/<n>.log CRI log of instance n, the same files native containers have (engine/logs)
// and under `$PODSMITH_HOME/wasm-sandbox/`, each sandbox (sandbox.ts): `<id>/` (its OCI bundle, its slot,
// the log of a sandbox not yet assigned) and `runc/` (runc's state).
import { join } from 'node:path';
import { PodPaths } from '../native/paths';

/** The paths the supervisor reads and writes; the daemon's view (WasmPodPaths) and the sandbox's differ. */
export interface SupervisorPaths {
  readonly podFile: string;
  readonly stopFile: string;
  readonly statusFile: string;
  logDir(name: string): string;
  module(name: string): string;
  /** Where preopen `preopen` of container `container` (indices in pod.json's plans) is mounted. */
  preopen(container: number, preopen: number): string;
}

/** Native PodPaths moved under wasm-pods/, so native helpers (volumes) that take a PodPaths work unchanged. */
export class WasmPodPaths extends PodPaths implements SupervisorPaths {
  override readonly dir: string;
  constructor(home: string, uid: string) {
    super(home, uid);
    this.dir = join(wasmPodsDir(home), uid);
  }
  get stopFile(): string {
    return join(this.dir, 'stop.json');
  }
  get finalFile(): string {
    return join(this.dir, 'final.json');
  }
  get supervisorLog(): string {
    return join(this.dir, 'supervisor.log');
  }
  get modules(): string {
    return join(this.dir, 'modules');
  }
  module(name: string): string {
    return join(this.dir, 'modules', `${name}.wasm`);
  }
  /** The directory the sandbox writes. */
  get sandbox(): string {
    return join(this.dir, 'sandbox');
  }
  get statusFile(): string {
    return join(this.sandbox, 'status.json');
  }
  override logDir(name: string): string {
    return join(this.sandbox, 'logs', name);
  }
  preopen(): string {
    throw new Error('preopens are bound into the sandbox; the daemon reads them at their sources');
  }
}

/** Where the pod's slot appears inside its sandbox. */
export const SANDBOX_SLOT = '/s';

/** The pod as its supervisor sees it inside the sandbox. */
export class SandboxPodPaths implements SupervisorPaths {
  readonly dir = `${SANDBOX_SLOT}/pod`;
  get podFile(): string {
    return `${this.dir}/pod.json`;
  }
  get stopFile(): string {
    return `${this.dir}/stop.json`;
  }
  get statusFile(): string {
    return `${this.dir}/sandbox/status.json`;
  }
  logDir(name: string): string {
    return `${this.dir}/sandbox/logs/${name}`;
  }
  module(name: string): string {
    return `${this.dir}/modules/${name}.wasm`;
  }
  preopen(container: number, preopen: number): string {
    return `${SANDBOX_SLOT}/v/${container}/${preopen}`;
  }
}

/** The slot-relative directory preopen `preopen` of container `container` is bound at. */
export function preopenSlotPath(container: number, preopen: number): string {
  return join('v', String(container), String(preopen));
}

export function wasmPodsDir(home: string): string {
  return join(home, 'wasm-pods');
}

/** Every sandbox of the home, and runc's state for them. */
export function sandboxesDir(home: string): string {
  return join(home, 'wasm-sandbox');
}

/** Metered modules by the digest of the original, shared by every pod of the home. */
export function meteringCacheDir(home: string): string {
  return join(home, 'wasm-cache');
}
