// QEMU's command line for one pod's VM: the microvm machine (virtio-mmio devices only, no PCI, no firmware:
// the kernel boots through PVH), `-nodefaults -no-user-config` so nothing but what is listed here exists, the
// serial console into a log file for diagnostics, and the pod's devices: the tools image (read-only block),
// the control channel (virtio-serial port `agent`, a unix socket QEMU serves), an RNG seeded from the host,
// two 9p shares (the pod's read-only inputs; the read-write out share, `mapped-file` so a guest can make no
// host symlink, device node or setuid file there) and, unless the pod has no network, a NIC on passt. That
// is 6 of the machine's 8 virtio-mmio slots. QEMU's own seccomp sandbox is on where it was built with it.
// Under TCG the translation cache is capped at 128 MiB (QEMU's default lets it grow to 1 GiB per VM).
import type { GuestImage } from './guest';
import { AGENT_PORT_NAME } from './guest';

export interface Share {
  tag: string;
  path: string;
  readOnly: boolean;
}

export interface VmSpec {
  image: GuestImage;
  accel: 'kvm' | 'tcg';
  vcpus: number;
  memoryMiB: number;
  /** Unix socket QEMU listens on for the agent channel. */
  controlSocket: string;
  consoleLog: string;
  shares: Share[];
  /** passt's socket (`-netdev stream`); none: the VM has no NIC. */
  passtSocket?: string;
  /** The guest's TSC frequency hint (kHz): without it about one boot in twelve hangs calibrating under TCG. */
  tscKhz?: number;
  /** `floor` and `probe` stop in the initramfs (bench floor, KVM probe); `template` boots as `run` (template.ts). */
  mode?: 'run' | 'floor' | 'probe' | 'template';
  /** Shown by `ps`. */
  name: string;
  /** Apply QEMU's seccomp sandbox (default true). */
  sandbox?: boolean;
  /**
   * Guest RAM in a file (templates, template.ts): `share: true` while a template is booted and saved (the
   * guest's RAM becomes the file), `share: false` for a clone (a private copy-on-write mapping of it).
   */
  ramFile?: { path: string; share: boolean };
  /** A QMP monitor on this unix socket (the template builder stops and saves the VM through it). */
  qmpSocket?: string;
  /** A clone: it waits for its saved device state (given through the QMP monitor), then the guest runs on. */
  incoming?: boolean;
  /** The NIC's backend: passt's socket (default when `passtSocket` is set) or a dead hub port (a template's NIC). */
  nicOnHub?: boolean;
}

export function kernelCommandLine(spec: Pick<VmSpec, 'tscKhz' | 'mode'>): string {
  const args = ['console=ttyS0', 'panic=-1', 'quiet', 'loglevel=4', 'pci=off', 'nomodeset', 'random.trust_cpu=off', `podsmith.mode=${spec.mode ?? 'run'}`];
  if (spec.tscKhz) args.push(`tsc_early_khz=${spec.tscKhz}`);
  return args.join(' ');
}

export function qemuArgs(spec: VmSpec): string[] {
  const args = [
    '-name', `${spec.name},process=${spec.name}`,
    '-M', `microvm,acpi=on,pit=off,pic=off,rtc=on,isa-serial=on${spec.ramFile ? ',memory-backend=ram' : ''}`,
    '-accel', spec.accel === 'tcg' ? 'tcg,tb-size=128' : 'kvm',
    '-cpu', spec.accel === 'kvm' ? 'host' : 'max',
    '-smp', String(spec.vcpus),
    '-m', `${spec.memoryMiB}M`,
    '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
    '-kernel', spec.image.kernel.vmlinux,
    '-initrd', spec.image.initramfs.path,
    '-append', kernelCommandLine(spec),
    '-chardev', `file,id=console,path=${spec.consoleLog},append=on`,
    '-serial', 'chardev:console',
    '-drive', `id=tools,file=${spec.image.tools.path},format=raw,if=none,readonly=on`,
    '-device', 'virtio-blk-device,drive=tools',
    '-device', 'virtio-serial-device',
    '-chardev', `socket,id=agent,path=${spec.controlSocket},server=on,wait=off`,
    '-device', `virtserialport,chardev=agent,name=${AGENT_PORT_NAME}`,
    '-object', 'rng-random,id=rng,filename=/dev/urandom',
    '-device', 'virtio-rng-device,rng=rng',
  ];
  if (spec.ramFile) {
    // Only device state is saved and loaded (x-ignore-shared): the RAM is the file itself.
    args.push('-object', `memory-backend-file,id=ram,size=${spec.memoryMiB}M,mem-path=${spec.ramFile.path},share=${spec.ramFile.share ? 'on' : 'off'}`);
  }
  if (spec.qmpSocket) args.push('-qmp', `unix:${spec.qmpSocket},server=on,wait=off`);
  // A clone waits for its monitor: x-ignore-shared is set there, then the state is loaded (template.ts).
  if (spec.incoming) args.push('-incoming', 'defer');
  for (const s of spec.shares) {
    const model = s.readOnly ? 'security_model=passthrough,readonly=on' : 'security_model=mapped-file';
    args.push('-fsdev', `local,id=fs-${s.tag},path=${s.path},${model},multidevs=remap`, '-device', `virtio-9p-device,fsdev=fs-${s.tag},mount_tag=${s.tag}`);
  }
  if (spec.passtSocket) {
    args.push('-netdev', `stream,id=net,server=off,addr.type=unix,addr.path=${spec.passtSocket}`, '-device', 'virtio-net-device,netdev=net');
  } else if (spec.nicOnHub) {
    // The same NIC as a pod's, on a hub with nothing else on it: a template never talks to the network.
    args.push('-netdev', 'hubport,id=net,hubid=0', '-device', 'virtio-net-device,netdev=net');
  }
  if (spec.sandbox !== false) args.push('-sandbox', 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny');
  return args;
}
