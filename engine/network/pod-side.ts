// Which pod side a port-forward uses, as the daemon answers for the pod: a pod with a network namespace on this
// host (native) gets the netns dialer helper, exactly as before; a pod whose runtime says it has none but dials
// its ports itself (a microVM pod: pods/netns refuses with details.dial) gets one daemon dial session per
// connection. The daemon's answer decides, never the runtime class's name.
import type { Duplex } from 'node:stream';
import type { PodNetnsRef } from '../pods/runtime';
import { PodError, type PodStatus } from '../pods/types';
import { localPodSide, type PodSide } from './port-forward';

/** What a pod side needs of a daemon client (DaemonClient has these). */
export interface PodSideDaemon {
  podNetns(pod: string): Promise<PodNetnsRef>;
  dial(pod: string, port: number): Promise<Duplex>;
  getPod(pod: string): Promise<PodStatus>;
}

export interface PodSideOptions {
  /** How often to check that the pod is still there (default 1000 ms; 0 = never). */
  watchIntervalMs?: number;
  /** The Node binary for the netns helper (see PortForwardOptions.nodePath). */
  nodePath?: string;
}

/** The pod side for `pod`; a netns helper's socket path comes along (the remote dialer hands it on). */
export async function openPodSide(daemon: PodSideDaemon, pod: string, opts: PodSideOptions = {}): Promise<PodSide & { socketPath?: string }> {
  let netns: PodNetnsRef;
  try {
    netns = await daemon.podNetns(pod);
  } catch (err) {
    if (err instanceof PodError && err.code === 'NOT_SUPPORTED' && err.details?.dial) return dialPodSide(daemon, pod, opts);
    throw err;
  }
  return localPodSide(netns, opts);
}

/** Why the pod can no longer be forwarded to, or undefined while it still runs (its sandbox, the VM, is up). */
function goneReason(pod: string, uid: string, s: PodStatus): string | undefined {
  if (s.uid !== uid) return `pod ${pod} was replaced by another of the same name`;
  const sandbox = s.conditions.find((c) => c.type === 'PodReadyToStartContainers');
  return sandbox && sandbox.status !== 'True' ? `pod ${pod} stopped (its VM is gone)` : undefined;
}

/** Connections made by the daemon's runtime (pods/dial); the session ends when the pod stops or goes away. */
export async function dialPodSide(daemon: PodSideDaemon, pod: string, opts: PodSideOptions = {}): Promise<PodSide> {
  const t = performance.now();
  const first = await daemon.getPod(pod);
  const uid = first.uid;
  const already = goneReason(pod, uid, first);
  if (already) throw new PodError(already, 'NOT_RUNNING');
  // By uid from here on: a pod deleted and made again under the name is another pod.
  let finish!: (reason: string) => void;
  let over = false;
  const ended = new Promise<string>((r) => (finish = r));
  void ended.then(() => {
    over = true;
    clearInterval(watch);
  });
  const check = async () => {
    try {
      const why = goneReason(pod, uid, await daemon.getPod(uid));
      if (why) finish(why);
    } catch (err) {
      finish(err instanceof PodError && err.code === 'NOT_FOUND' ? `pod ${pod} was deleted` : (err as Error).message);
    }
  };
  const interval = opts.watchIntervalMs ?? 1000;
  const watch = interval > 0 ? setInterval(() => void check(), interval) : undefined;
  watch?.unref();
  return {
    setupMs: performance.now() - t,
    ended,
    connect: () => Promise.reject(new Error('this pod is reached through its runtime (dial)')),
    dial: (port) => (over ? Promise.reject(new Error('the port-forward has ended')) : daemon.dial(uid, port)),
    close: async () => finish('closed'),
  };
}
