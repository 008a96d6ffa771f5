// What the host prepares for a VM pod before the VM boots, all inside the pod's two shares: every container's
// image root filesystem (the store's unpacked layers, as for native pods), its OCI config (built by the same
// bundle builder as native containers, with the kubelet's rules for command, env, user, capabilities,
// seccomp, mounts), the pod's volumes and /etc files. The config's paths are then rewritten to where the
// guest mounts the shares; a mount whose source is anywhere else is refused, so a guest never sees a host
// path outside its own pod. Network, IPC and UTS namespaces are left out of every config: the VM itself is
// the pod's sandbox, and its containers share the guest's (pause semantics, with the kernel boundary around
// them). Memory-backed emptyDirs are tmpfs mounts the agent makes in guest memory; a subPath into one is
// opened and mounted by the agent at every start (a container can plant symlinks there), so the config names
// only the agent's mount point for it. With shareProcessNamespace the configs ask for a pid namespace, and
// the agent points it at the one its holder process keeps for the pod.
import { mkdir, realpath, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ALL_CAPABILITIES, buildBundleConfig, readLocalhostProfile, seccompSettingOf, type EnvSources, type MountInput, type PodFacts } from '../../image/bundle';
import { createRootfs, type Rootfs } from '../../image/unpack';
import { parseQuantity } from '../../limits';
import { checkHostPorts, portSpec, type HostPortMapping } from '../../network/pasta-args';
import type { AdmittedPod } from '../native/admit';
import { etcMounts, writeEtcFiles } from '../native/etc-files';
import { rootfsFile } from '../native/launch';
import type { PodContainer, PodObject, Volume } from '../native/pod-spec';
import { forContainer } from '../native/pod-errors';
import { networkWish } from '../native/pod-network';
import { containerMounts, memoryEmptyDirBytes, prepareVolumes, PROPAGATION, safeRelative } from '../native/volumes';
import type { ImageStore } from '../../image/store';
import { PodError } from '../types';
import type { VmPodPaths } from './paths';
import { GUEST_OUT_SHARE, GUEST_POD_SHARE, guestMemoryVolume, guestSubPath } from './protocol/guest-paths';
import type { GuestContainerPlan, GuestPodPlan } from './protocol/messages';
import type { VmContainerRecord } from './records';

export const POD_SHARE_TAG = 'pod';
export const OUT_SHARE_TAG = 'out';

const isMemoryVolume = (v: Volume) => !!v.emptyDir && v.emptyDir.medium === 'Memory';

export interface PreparedPod {
  containers: GuestContainerPlan[];
  memoryVolumes: { name: string; bytes: number }[];
  warnings: string[];
  ports: { tcp: string[]; udp: string[] };
}

/** The guest path of a host path inside one of the pod's shares; anything else is refused. */
export class GuestPathMap {
  constructor(
    private readonly share: string,
    private readonly out: string,
  ) {}

  static async of(paths: VmPodPaths): Promise<GuestPathMap> {
    return new GuestPathMap(await realpath(paths.share), await realpath(paths.out));
  }

  toGuest(hostPath: string, what: string): string {
    for (const [base, guest] of [
      [this.share, GUEST_POD_SHARE],
      [this.out, GUEST_OUT_SHARE],
    ] as const) {
      if (hostPath === base || hostPath.startsWith(base + '/')) return guest + hostPath.slice(base.length);
    }
    throw new PodError(`${what}: ${hostPath} is outside the pod's shares; a microVM sees only its own pod's files`, 'INVALID');
  }
}

/** hostPorts as passt `-t`/`-u` specs (pasta's syntax); network none: refused, the VM then has no NIC. */
export function passtPorts(pod: PodObject): { tcp: string[]; udp: string[]; mappings: HostPortMapping[] } {
  const wish = networkWish(pod);
  const mappings = wish?.hostPorts ?? [];
  try {
    checkHostPorts(mappings);
  } catch (err) {
    throw new PodError((err as Error).message, 'INVALID');
  }
  if (mappings.length && !wish?.outbound)
    throw new PodError(`pod ${pod.metadata.name}: hostPorts need the VM's network interface, which the annotation podsmith.io/network: none leaves out`, 'NOT_SUPPORTED');
  return {
    tcp: mappings.filter((m) => (m.protocol ?? 'TCP') === 'TCP').map(portSpec),
    udp: mappings.filter((m) => m.protocol === 'UDP').map(portSpec),
    mappings,
  };
}

function memoryBytes(c: PodContainer): number | undefined {
  const q = parseQuantity(c.resources?.limits?.memory);
  return q ? Number(q.num / q.den) : undefined;
}

export interface PrepareInput {
  store: ImageStore;
  home: string;
  pod: PodObject;
  admitted: AdmittedPod;
  paths: VmPodPaths;
  images: Map<string, string>;
  facts: PodFacts;
  kernelRelease: string;
  containers: VmContainerRecord[];
}

export async function preparePod(i: PrepareInput): Promise<PreparedPod> {
  const { pod, paths } = i;
  await mkdir(paths.share, { recursive: true, mode: 0o755 });
  await mkdir(paths.out, { recursive: true, mode: 0o700 });
  const volumes = pod.spec.volumes ?? [];
  for (const v of volumes) {
    if (v.hostPath) throw new PodError(`volume "${v.name}": hostPath volumes are refused in a microVM: they would break the VM boundary`, 'INVALID');
    if (v.emptyDir && !isMemoryVolume(v)) paths.markWritable(v.name);
  }
  const memoryVolumes = volumes.filter(isMemoryVolume).map((v) => ({ name: v.name, bytes: memoryEmptyDirBytes(v, pod) }));
  // Memory-backed emptyDirs are made in the guest; the host prepares the others.
  const hostPod: PodObject = { ...pod, spec: { ...pod.spec, volumes: volumes.filter((v) => !isMemoryVolume(v)) } };
  const prepared = await prepareVolumes(hostPod, paths, i.admitted, i.facts);
  await writeEtcFiles(paths, pod.spec, i.facts.hostname ?? pod.metadata.name);
  const map = await GuestPathMap.of(paths);
  const sources: EnvSources = {
    configMaps: Object.fromEntries(Object.entries(i.admitted.configMaps).map(([k, v]) => [k, v.text])),
    secrets: Object.fromEntries(Object.entries(i.admitted.secrets).map(([k, v]) => [k, v.text])),
  };
  const specs = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  const warnings: string[] = [];
  const seccompKernel = /^\d+\.\d+(\.\d+)?/.exec(i.kernelRelease)?.[0];
  const containers = await Promise.all(
    specs.map((spec) =>
      forContainer(spec.name, async (): Promise<GuestContainerPlan> => {
        const record = i.containers.find((c) => c.name === spec.name)!;
        const rootfs: Rootfs = await createRootfs(i.store, { image: i.images.get(spec.image!)!, dir: paths.rootfsDir(spec.name) });
        const [passwd, group] = await Promise.all([rootfsFile(rootfs.path, 'etc/passwd'), rootfsFile(rootfs.path, 'etc/group')]);
        const memory = new Set(volumes.filter(isMemoryVolume).map((v) => v.name));
        const onHost = (spec.volumeMounts ?? []).filter((m) => !memory.has(m.name));
        // Kept with their index in volumeMounts: a subPath's guest mount point is named by it.
        const inGuest = (spec.volumeMounts ?? []).map((m, index) => ({ m, index })).filter(({ m }) => memory.has(m.name));
        const memorySubPaths = inGuest.filter(({ m }) => m.subPath || m.subPathExpr).map(({ m, index }) => {
          if (m.subPathExpr) throw new PodError(`container "${spec.name}": subPathExpr is not supported yet; use subPath`, 'INVALID', { container: spec.name });
          return { index, volume: m.name, subPath: safeRelative(m.subPath!, `container "${spec.name}" subPath`) };
        });
        const hostMounts = [...(await containerMounts({ ...spec, volumeMounts: onHost }, prepared)), ...etcMounts(paths, spec)];
        const mounts: MountInput[] = [
          ...hostMounts.map((m) => ({ ...m, source: map.toGuest(m.source, `container "${spec.name}": mount ${m.destination}`) })),
          ...inGuest.map(({ m, index }) => ({ destination: m.mountPath, source: m.subPath ? guestSubPath(spec.name, index) : guestMemoryVolume(m.name), readOnly: m.readOnly === true, ...(m.mountPropagation ? { propagation: PROPAGATION[m.mountPropagation] ?? 'rprivate' } : {}) })),
        ];
        const seccomp = seccompSettingOf(spec, i.facts);
        const localhost = seccomp.type === 'Localhost' ? await readLocalhostProfile(i.home, seccomp.localhostProfile, spec.name) : undefined;
        const built = buildBundleConfig({
          image: rootfs.image.config,
          container: spec,
          pod: i.facts,
          sources,
          rootfs: { path: '/', ...(passwd !== undefined ? { passwd } : {}), ...(group !== undefined ? { group } : {}) },
          // The agent sets the real one per instance.
          cgroupsPath: `/pod/${spec.name}`,
          mounts,
          // Root in the guest holds every capability and may raise any rlimit.
          rlimitCeilings: {},
          allCapabilities: [...ALL_CAPABILITIES],
          // The guest runs Debian's kernel, booted without syscall.x32=y: it refuses x32 calls, so the filters
          // leave x32 out (under TCG that is ~150 ms of a cloned pod's start).
          seccomp: { arch: process.arch, x32: false, ...(seccompKernel ? { kernel: seccompKernel } : {}), ...(localhost ? { localhost } : {}) },
        });
        warnings.push(...built.warnings);
        const config = built.config;
        if (config.linux?.namespaces) config.linux.namespaces = config.linux.namespaces.filter((n) => n.type !== 'network' && n.type !== 'ipc' && n.type !== 'uts');
        // A joining container must not rename the pod: the agent sets the guest's hostname once.
        delete config.hostname;
        const bundle = paths.bundleDir(spec.name);
        await mkdir(bundle, { recursive: true, mode: 0o755 });
        await writeFile(join(bundle, 'config.json'), JSON.stringify(config) + '\n', { mode: 0o644 });
        const bytes = memoryBytes(spec);
        return {
          name: spec.name,
          kind: record.kind,
          bundle: relative(paths.share, bundle),
          rootfs: relative(paths.share, rootfs.path),
          stopSignal: built.stopSignal,
          ...(bytes ? { memoryBytes: bytes } : {}),
          ...(memorySubPaths.length ? { memorySubPaths } : {}),
        };
      }),
    ),
  );
  const { tcp, udp } = passtPorts(pod);
  return { containers, memoryVolumes, warnings, ports: { tcp, udp } };
}

export function guestPlan(base: Omit<GuestPodPlan, 'shares'>): GuestPodPlan {
  return { ...base, shares: { pod: POD_SHARE_TAG, out: OUT_SHARE_TAG } };
}
