// Where a wasm pod lives, under `$PODSMITH_HOME/wasm-pods/<uid>/`:
//   pod.json              what the daemon decided: the admitted spec, each container's plan (module, argv, env,
//                         preopens, limits), the lifecycle and the supervisor's pid (records.ts)
//   status.json           what the supervisor saw: every container's state, restart counts, conditions; written
//                         by the supervisor while it lives, by a runtime instance only once it is dead
//   stop.json             the grace period of a stop request, read by the supervisor on SIGTERM
//   supervisor.log        the supervisor's own stdout/stderr (not the containers')
//   modules/<name>.wasm   the (metered) module each container runs
//   c/<name>/             the unpacked image of a container whose entrypoint is a .wasm file
//   volumes/<name>/       emptyDir, configMap, secret, downwardAPI contents (engine/pods/native/volumes.ts)
//   logs/<name>/<n>.log   CRI log of instance n, the same files native containers have (engine/logs)
import { join } from 'node:path';
import { PodPaths } from '../native/paths';

/** Native PodPaths moved under wasm-pods/, so native helpers (volumes) that take a PodPaths work unchanged. */
export class WasmPodPaths extends PodPaths {
  override readonly dir: string;
  constructor(home: string, uid: string) {
    super(home, uid);
    this.dir = join(wasmPodsDir(home), uid);
  }
  get statusFile(): string {
    return join(this.dir, 'status.json');
  }
  get stopFile(): string {
    return join(this.dir, 'stop.json');
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
}

export function wasmPodsDir(home: string): string {
  return join(home, 'wasm-pods');
}

/** Where idle spare supervisors (spare.ts) keep their logs until they have a pod. */
export function spareDir(home: string): string {
  return join(home, 'wasm-spare');
}

/** Metered modules by the digest of the original, shared by every pod of the home. */
export function meteringCacheDir(home: string): string {
  return join(home, 'wasm-cache');
}
