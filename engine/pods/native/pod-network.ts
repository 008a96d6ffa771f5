// A pod's network beyond loopback (runc brings `lo` up in the pause's new namespace): pasta gives the pod
// outbound traffic and serves its hostPorts (engine/network). It attaches once the pause container exists,
// before any container starts, as CNI does for the kubelet. The annotation `podsmith.io/network: none`
// keeps a pod on loopback only (podman's `--network none`); hostPorts are still served then.
import { basename, join } from 'node:path';
import { connectPod, disconnectPod, type HostPortMapping } from '../../network';
import { listPids, readCmdline, signalProcess, waitGone } from '../../runtime';
import type { RuntimeContext } from './context';
import { PodPaths } from './paths';
import type { PodObject } from './pod-spec';

export const NETWORK_ANNOTATION = 'podsmith.io/network';

interface NetworkWish {
  outbound: boolean;
  hostPorts: HostPortMapping[];
}

/** What the pod asks for; undefined when it needs nothing beyond loopback (or uses the host's network). */
export function networkWish(pod: PodObject): NetworkWish | undefined {
  if (pod.spec.hostNetwork) return undefined;
  const hostPorts: HostPortMapping[] = [];
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers])
    for (const p of c.ports ?? [])
      if (p.hostPort) hostPorts.push({ hostPort: p.hostPort, containerPort: p.containerPort, ...(p.protocol ? { protocol: p.protocol } : {}), ...(p.hostIP ? { hostIP: p.hostIP } : {}) });
  const outbound = pod.metadata.annotations?.[NETWORK_ANNOTATION] !== 'none';
  return outbound || hostPorts.length ? { outbound, hostPorts } : undefined;
}

function stateFile(home: string, uid: string): string {
  return join(new PodPaths(home, uid).dir, 'net', 'pasta.json');
}

export interface ConnectedNetwork {
  /** What the pod could not get. */
  warnings: string[];
  /** pasta gives the pod outbound traffic, with the host's own address copied into the pod. */
  outbound: boolean;
}

/** Connects the pod's namespace (held by `pausePid`). */
export async function connectPodNetwork(ctx: RuntimeContext, uid: string, pod: PodObject, pausePid: number): Promise<ConnectedNetwork> {
  const wish = networkWish(pod);
  if (!wish) return { warnings: [], outbound: false };
  const net = await connectPod({ netns: pausePid, stateFile: stateFile(ctx.home, uid), ...wish });
  if (net.forwarder) ctx.forwarders.set(uid, net.forwarder);
  return { warnings: net.warnings, outbound: !!net.pasta?.outbound };
}

/** Stops pasta (also one an earlier daemon started) and this daemon's fallback forwarder. */
export async function disconnectPodNetwork(ctx: RuntimeContext, uid: string): Promise<void> {
  const forwarder = ctx.forwarders.get(uid);
  ctx.forwarders.delete(uid);
  await disconnectPod(stateFile(ctx.home, uid), forwarder ? { forwarder } : undefined);
}

/**
 * Ends pasta processes of this pod that no state file names (a daemon killed between pasta's start and its
 * record): they are found by the pod directory on their command line (pasta's pid and log files live there).
 */
export async function killStrayPasta(ctx: RuntimeContext, uid: string): Promise<void> {
  const dir = new PodPaths(ctx.home, uid).dir + '/';
  const found: number[] = [];
  for (const pid of listPids()) {
    const argv = await readCmdline(pid);
    if (!argv || !/^pas(s|ta)/.test(basename(argv[0] ?? '')) || !argv.some((a) => a.startsWith(dir))) continue;
    if (signalProcess(pid, 'SIGKILL')) found.push(pid);
  }
  await Promise.all(found.map((pid) => waitGone(pid, 2000)));
}
