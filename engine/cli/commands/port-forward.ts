// `podsmith port-forward POD [LOCAL:]PORT... [--address ADDR]`: listen on the host and forward each
// connection to a port on the pod's loopback, until Ctrl-C or until the pod goes away. Which namespace POD
// is comes from the engine daemon (its pause process), through the resolver the caller passes in.
import { parseArgs } from 'node:util';
import type { NetnsRef } from '../../network/netns';
import { formatAddress, startPortForward, startPortForwardVia, type PodSide } from '../../network/port-forward';
import { openPodSide } from '../../network/pod-side';
import { parseListenAddresses, parsePortSpec } from '../../network/port-spec';
import { UsageError } from '../files';
import { reportError, type Io } from '../io';
import { runPodCommand, type PodCommandDeps } from './daemon-command';

export const PORT_FORWARD_USAGE = `Usage: podsmith port-forward POD [LOCAL_PORT:]POD_PORT... [--address ADDR[,ADDR]]

Listens on LOCAL_PORT on this host and forwards every connection to POD_PORT on the pod's own loopback
(127.0.0.1, else ::1), as kubectl port-forward does. PORT alone uses the same number on both sides; :PORT
picks a free local port. --address defaults to 127.0.0.1 ("localhost" means 127.0.0.1 and ::1).
Runs until interrupted (Ctrl-C) or until the pod stops.`;

/** Finds the pod's network namespace: its pause process's pid (or a namespace path). */
export type PodNetnsResolver = (pod: string) => Promise<NetnsRef>;

export interface PortForwardCommandOptions {
  resolvePod?: PodNetnsResolver;
  /** The pod's side: here (pod-side.ts), or on a remote host (--host) a helper there, reached through SSH. */
  openPodSide?: (pod: string) => Promise<PodSide>;
  /** Ends the session like Ctrl-C does (for callers other than a terminal, and tests). */
  signal?: AbortSignal;
  /** Called once every listener is up (tests use it to learn the chosen ports). */
  onReady?(ports: { address: string; local: number; remote: number }[]): void;
}

export async function portForwardCommand(argv: string[], io: Io, opts: PortForwardCommandOptions = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { address: { type: 'string', default: '127.0.0.1' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    io.out(PORT_FORWARD_USAGE + '\n');
    return 0;
  }
  const [pod, ...specs] = positionals;
  if (!pod) throw new UsageError('missing POD');
  if (!specs.length) throw new UsageError('missing at least one [LOCAL_PORT:]POD_PORT');
  let pairs;
  let addresses;
  try {
    pairs = specs.map(parsePortSpec);
    addresses = parseListenAddresses(values.address!);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const forwardOpts = {
    addresses,
    onConnection: (p: { local: number }) => io.out(`Handling connection for ${p.local}\n`),
    onConnectionError: (p: { local: number }, message: string) => reportError(io, `error forwarding port ${p.local} to pod ${pod}: ${message}\n`),
  };
  let session;
  if (opts.openPodSide) session = await startPortForwardVia(await opts.openPodSide(pod), pairs, forwardOpts);
  else {
    if (!opts.resolvePod) throw new Error('port-forward needs the engine daemon to find the pod, and none is connected');
    session = await startPortForward(await opts.resolvePod(pod), pairs, forwardOpts);
  }
  for (const p of session.ports) io.out(`Forwarding from ${formatAddress(p.address, p.local)} -> ${p.remote}\n`);
  opts.onReady?.(session.ports);

  let interrupted = false;
  const stop = () => {
    interrupted = true;
    void session.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  opts.signal?.addEventListener('abort', stop, { once: true });
  if (opts.signal?.aborted) stop();
  try {
    const { reason } = await session.done;
    if (interrupted) return 0;
    reportError(io, `podsmith port-forward: lost connection to pod ${pod}: ${reason}\n`);
    return 1;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    opts.signal?.removeEventListener('abort', stop);
  }
}

/** The CLI entry: the daemon names the pod's namespace (its pause process), or dials for a pod without one. */
export function portForwardPodCommand(argv: string[], io: Io, deps: PodCommandDeps = {}): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) return portForwardCommand(argv, io);
  const remote = deps.remote;
  return runPodCommand('port-forward', PORT_FORWARD_USAGE, io, deps, (client) =>
    portForwardCommand(argv, io, {
      // Here: the pod's namespace (native) or the daemon's dial sessions (microVM), as the daemon answers.
      openPodSide: remote ? (pod) => remote.host.podSide(pod) : (pod) => openPodSide(client, pod),
      signal: deps.signal,
    }),
  );
}
