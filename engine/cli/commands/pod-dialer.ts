// `podsmith __pod-dialer POD` (internal): the remote end of `port-forward --host`. Started by the client over
// SSH on the host that runs the pod, it asks the daemon there for the pod's network namespace, starts the
// netns dialer in it (as a local port-forward does) and prints one JSON line: {"socket": PATH}. A pod with no
// namespace on the host (a microVM pod) gets a socket speaking the same protocol whose connections the
// daemon dials (dial-server.ts). The client then opens one SSH streamlocal channel to that socket per
// forwarded connection. When the pod goes away it prints {"end": REASON}; it exits then, or when its stdin
// closes (the client or the SSH connection went away).
import { connectDaemon } from '../../client/connect';
import { startDialServer, type DialServer } from '../../network/dial-server';
import { openPodSide } from '../../network/pod-side';
import type { PodSide } from '../../network/port-forward';
import { version } from '../../../package.json';
import { UsageError } from '../files';
import type { Io } from '../io';

export async function podDialerCommand(argv: string[], io: Io): Promise<number> {
  if (argv.length !== 1) throw new UsageError('usage: podsmith __pod-dialer POD');
  const client = await connectDaemon({ autoStart: false, clientName: `podsmith pod-dialer ${version}` });
  let side: PodSide & { socketPath?: string };
  let socketPath: string;
  let server: DialServer | undefined;
  try {
    side = await openPodSide(client, argv[0]);
    if (side.dial) {
      // The daemon dials every connection: its client stays open for the whole session.
      server = await startDialServer(side.dial.bind(side));
      socketPath = server.socketPath;
    } else {
      client.close();
      if (!side.socketPath) throw new Error('the netns dialer gave no socket');
      socketPath = side.socketPath;
    }
  } catch (err) {
    client.close();
    throw err;
  }
  io.out(JSON.stringify({ socket: socketPath, setupMs: Math.round(side.setupMs) }) + '\n');
  const stdinGone = new Promise<string>((resolve) => {
    process.stdin.on('end', () => resolve('stdin closed'));
    process.stdin.on('error', () => resolve('stdin closed'));
    process.stdin.resume();
  });
  const reason = await Promise.race([side.ended, stdinGone]);
  if (reason !== 'stdin closed') io.out(JSON.stringify({ end: reason }) + '\n');
  await server?.close();
  await side.close();
  if (server) client.close();
  process.stdin.destroy();
  return 0;
}
