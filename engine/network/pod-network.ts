// Everything a pod's network needs, in the order the pod runtime needs it: loopback up, then pasta for outbound
// traffic and hostPorts. When pasta is missing or cannot attach (it needs a host interface with a default
// route; an offline host has none), TCP hostPorts still work through a forwarder owned by the calling
// process (the daemon): it ends with that process, so a restarted daemon calls connectPod again. UDP hostPorts
// and outbound traffic then do not work, and the result says so.
import { assertHostPortsFree } from './host-ports-free';
import { bringUpLoopback, type LoopbackState } from './loopback';
import { netnsInode, type NetnsRef } from './netns';
import { checkHostPorts, type HostPortMapping } from './pasta-args';
import { PastaUnavailableError, pastaStatus, startPasta, stopPasta, type PastaRecord } from './pasta';
import { startPortForward, type PortForwardSession } from './port-forward';

export interface ConnectPodOptions {
  netns: NetnsRef;
  /** pasta's state file (see startPasta). */
  stateFile: string;
  hostPorts?: HostPortMapping[];
  /** Give the pod outbound connectivity (default true). */
  outbound?: boolean;
  pastaPath?: string;
}

export interface PodNetwork {
  loopback: LoopbackState;
  /** Set when pasta serves the pod. */
  pasta?: PastaRecord;
  /** Set when the fallback forwarder serves the TCP hostPorts; close it when the pod stops. */
  forwarder?: PortForwardSession;
  /** What the pod does not get, and why (shown to the user as events). */
  warnings: string[];
}

/** pasta failures that mean "cannot work on this host" (as opposed to "this pod's request is wrong"). */
function pastaCannotWorkHere(e: unknown): boolean {
  if (e instanceof PastaUnavailableError) return true;
  return /routable interface|External interface not usable|Couldn't open network namespace|Failed to open tun/i.test((e as Error).message);
}

/** TCP hostPorts through the netns-dialer forwarder, each on its hostIP (default every address, as pasta). */
export function forwardHostPorts(netns: NetnsRef, hostPorts: HostPortMapping[]): Promise<PortForwardSession> {
  checkHostPorts(hostPorts);
  const udp = hostPorts.find((m) => m.protocol === 'UDP');
  if (udp) throw new Error(`hostPort ${udp.hostPort}/UDP needs pasta, which cannot run here`);
  return startPortForward(
    netns,
    hostPorts.map((m) => ({ local: m.hostPort, remote: m.containerPort, address: m.hostIP?.trim() || '0.0.0.0' })),
  );
}

export async function connectPod(opts: ConnectPodOptions): Promise<PodNetwork> {
  const loopback = await bringUpLoopback(opts.netns);
  const hostPorts = opts.hostPorts ?? [];
  const outbound = opts.outbound ?? true;
  const warnings: string[] = [];
  if (!outbound && !hostPorts.length) return { loopback, warnings };
  // A pasta left from before a daemon restart, still attached to this very namespace, is kept.
  const existing = pastaStatus(opts.stateFile);
  if (existing.running && existing.record!.netnsInode === netnsInode(opts.netns)) return { loopback, pasta: existing.record, warnings };
  await assertHostPortsFree(hostPorts);
  await stopPasta(opts.stateFile); // a stale record (dead pasta, or another namespace) goes
  try {
    const pasta = await startPasta({ netns: opts.netns, stateFile: opts.stateFile, hostPorts, outbound, pastaPath: opts.pastaPath });
    return { loopback, pasta, warnings };
  } catch (e) {
    if (!pastaCannotWorkHere(e)) throw e;
    if (outbound) warnings.push(`no outbound network for the pod: ${(e as Error).message}`);
    if (!hostPorts.length) return { loopback, warnings };
    const forwarder = await forwardHostPorts(opts.netns, hostPorts);
    warnings.push('hostPorts are forwarded by the Podsmith daemon itself (pasta is not available)');
    return { loopback, forwarder, warnings };
  }
}

/** Undoes connectPod: stops pasta (also one recorded by an earlier daemon) and the fallback forwarder. */
export async function disconnectPod(stateFile: string, net?: Pick<PodNetwork, 'forwarder'>): Promise<void> {
  await net?.forwarder?.close();
  await stopPasta(stateFile);
}
