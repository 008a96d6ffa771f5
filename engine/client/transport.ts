// How a client reaches a daemon: a factory of byte streams to its socket. The JSON-RPC connection is one
// stream, and every exec or logs session opens another. Locally that is a unix socket connection; for a remote
// host it is a channel inside the host's one SSH connection (engine/remote/). The client code above it is the
// same either way.
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { DaemonPaths } from '../daemon/paths';

export interface DaemonTransport {
  /** A new stream to the daemon's socket, resolved once it is open. */
  dial(): Promise<Duplex>;
  /** Where to look when something goes wrong: the daemon's log (a remote transport names the host). */
  readonly logHint: string;
  /** Why streams dropped without the daemon ending them, when the transport knows (a lost SSH connection). */
  lost?(): string | undefined;
  /** Called once when the client closes (a one-shot remote transport ends its SSH connection here). */
  close?(): void;
}

/** The daemon's unix socket on this machine. */
export function unixTransport(paths: DaemonPaths): DaemonTransport {
  return {
    logHint: paths.log,
    dial: () =>
      new Promise((resolve, reject) => {
        const socket = connect(paths.socket);
        socket.once('error', reject);
        socket.once('connect', () => {
          socket.off('error', reject);
          resolve(socket);
        });
      }),
  };
}
