// `podsmith __pod-dialer POD` (internal): the remote end of `port-forward --host`. Started by the client over
// SSH on the host that runs the pod, it asks the daemon there for the pod's network namespace, starts the
// netns dialer in it (as a local port-forward does) and prints one JSON line: {"socket": PATH}. The client
// then opens one SSH streamlocal channel to that socket per forwarded connection. When the pod goes away it
// prints {"end": REASON}; it exits then, or when its stdin closes (the client or the SSH connection went away).
import { connectDaemon } from '../../client/connect';
import { localPodSide } from '../../network/port-forward';
import { version } from '../../../package.json';
import { UsageError } from '../files';
import type { Io } from '../io';

export async function podDialerCommand(argv: string[], io: Io): Promise<number> {
  if (argv.length !== 1) throw new UsageError('usage: podsmith __pod-dialer POD');
  const client = await connectDaemon({ autoStart: false, clientName: `podsmith pod-dialer ${version}` });
  let netns;
  try {
    netns = await client.podNetns(argv[0]);
  } finally {
    client.close();
  }
  const side = await localPodSide(netns);
  io.out(JSON.stringify({ socket: side.socketPath, setupMs: Math.round(side.setupMs) }) + '\n');
  const stdinGone = new Promise<string>((resolve) => {
    process.stdin.on('end', () => resolve('stdin closed'));
    process.stdin.on('error', () => resolve('stdin closed'));
    process.stdin.resume();
  });
  const reason = await Promise.race([side.ended, stdinGone]);
  if (reason !== 'stdin closed') io.out(JSON.stringify({ end: reason }) + '\n');
  await side.close();
  process.stdin.destroy();
  return 0;
}
