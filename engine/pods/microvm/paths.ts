// Where a microVM pod lives, under `$PODSMITH_HOME/microvm-pods/<uid>/`:
//   pod.json              what the host decided: spec, containers, lifecycle, the QEMU and passt processes
//   share/                the pod's read-only inputs, the guest's 9p `pod` share (nothing else of the host):
//     c/<name>/rootfs     each container's image root filesystem (overlay of cached layers, or a copy)
//     bundles/<name>/     each container's OCI config.json, with guest paths
//     volumes/<name>/     configMap, secret, downwardAPI and projected volumes
//     etc/                hosts, hostname, resolv.conf for every container
//   out/                  the guest's read-write 9p `out` share (mapped-file: no host symlinks or devices):
//     status.json         the agent's view of the pod (untrusted: checked before use)
//     logs/<name>/<n>.log CRI logs, the same files native containers have (engine/logs)
//     volumes/<name>/     disk emptyDir volumes
//   final-state.json      the last state, kept by the host when the VM died without being asked
//   run/                  QEMU's control socket (ctl.sock) and monitor (qmp.sock), passt's socket (passt.sock)
//   console.log           the guest's serial console (kernel and init messages, diagnostics)
//   qemu.log              QEMU's own output; passt.log passt's
import { join } from 'node:path';
import { PodPaths } from '../native/paths';

export const MICROVM_RUNTIME_CLASS = 'pod-microvm-containers';

export function microvmPodsDir(home: string): string {
  return join(home, 'microvm-pods');
}

/** Native PodPaths moved under microvm-pods/, with volumes split between the two shares. */
export class VmPodPaths extends PodPaths {
  override readonly dir: string;
  /** Volumes the guest writes (disk emptyDirs) live on the out share; the rest on the read-only one. */
  private readonly writable = new Set<string>();

  constructor(home: string, uid: string) {
    super(home, uid);
    this.dir = join(microvmPodsDir(home), uid);
  }

  markWritable(volume: string): void {
    this.writable.add(volume);
  }

  get share(): string {
    return join(this.dir, 'share');
  }
  get out(): string {
    return join(this.dir, 'out');
  }
  get run(): string {
    return join(this.dir, 'run');
  }
  get controlSocket(): string {
    return join(this.dir, 'run', 'ctl.sock');
  }
  /** QEMU's monitor, through which a clone is given its template's state. */
  get qmpSocket(): string {
    return join(this.dir, 'run', 'qmp.sock');
  }
  get passtSocket(): string {
    return join(this.dir, 'run', 'passt.sock');
  }
  get consoleLog(): string {
    return join(this.dir, 'console.log');
  }
  get qemuLog(): string {
    return join(this.dir, 'qemu.log');
  }
  get passtLog(): string {
    return join(this.dir, 'passt.log');
  }
  get statusFile(): string {
    return join(this.dir, 'out', 'status.json');
  }
  /** The pod's last state, written by the host when its VM died (the guest can no longer say). */
  get finalStateFile(): string {
    return join(this.dir, 'final-state.json');
  }
  override get etc(): string {
    return join(this.share, 'etc');
  }
  override get volumes(): string {
    return join(this.share, 'volumes');
  }
  override volume(name: string): string {
    return this.writable.has(name) ? join(this.out, 'volumes', name) : join(this.share, 'volumes', name);
  }
  override container(name: string): string {
    return join(this.share, 'c', name);
  }
  override rootfsDir(name: string): string {
    return join(this.share, 'c', name);
  }
  bundleDir(name: string): string {
    return join(this.share, 'bundles', name);
  }
  override logDir(name: string): string {
    return join(this.out, 'logs', name);
  }
}
