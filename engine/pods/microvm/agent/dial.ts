// port.dial in the guest: a TCP connection to a port on the guest's loopback, which the pod's containers share
// (plan.ts leaves them in the guest's network namespace), carried on two channel streams with the mux's
// credit: a host that reads slowly stops this socket (and, through TCP, the server), nothing else. As the
// native netns dialer does, 127.0.0.1 is tried first, then ::1 (a server may listen on only one of them).
// Half-closes pass both ways; an error or reset on either side resets the other; a host session that ends
// closes every socket it opened.
import { connect, type Socket } from 'node:net';
import { DIAL_REFUSED, type PortDialParams } from '../protocol/messages';
import { RequestError, type Session } from './channel';

function connectOnce(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const tcp = connect({ host, port, allowHalfOpen: true });
    tcp.once('connect', () => {
      tcp.off('error', reject);
      resolve(tcp);
    });
    tcp.once('error', reject);
  });
}

async function connectLoopback(port: number): Promise<Socket> {
  try {
    return await connectOnce('127.0.0.1', port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') throw err;
    // ::1 refusing too, or missing (no IPv6 in the guest), both mean nothing listens: say refused.
    return connectOnce('::1', port).catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'EADDRNOTAVAIL' || e.code === 'EAFNOSUPPORT' || e.code === 'ENETUNREACH' ? err : e;
    });
  }
}

export async function dialPort(p: PortDialParams, session: Session): Promise<void> {
  if (!Number.isInteger(p.stream) || p.stream <= 0 || p.stream % 4 !== 0 || session.mux.busy(p.stream) || session.mux.busy(p.stream + 1))
    throw new RequestError(`bad dial stream ${p.stream}`, 'INVALID');
  if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) throw new RequestError(`bad port ${p.port}`, 'INVALID');
  // The streams exist before the connect: a host that gives up meanwhile resets them, and the socket then goes.
  const input = session.mux.incoming(p.stream);
  const output = session.mux.outgoing(p.stream + 1);
  input.on('error', () => undefined);
  output.on('error', () => undefined);
  let tcp: Socket;
  try {
    tcp = await connectLoopback(p.port);
  } catch (err) {
    input.destroy();
    output.destroy();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ECONNREFUSED') throw new RequestError(`connection refused: nothing listens on port ${p.port} in the pod (127.0.0.1 or ::1)`, DIAL_REFUSED);
    throw new RequestError(`cannot connect to port ${p.port} in the pod: ${e.code ?? 'error'}: ${e.message}`, 'DIAL_FAILED');
  }
  if (input.destroyed || output.destroyed || session.closed) {
    tcp.destroy();
    throw new RequestError('the host gave up on this connection', 'CANCELLED');
  }
  tcp.setNoDelay(true);
  tcp.on('error', () => undefined);
  const offClose = session.onClose(() => tcp.destroy());
  input.pipe(tcp);
  tcp.pipe(output);
  // The host reset either direction (or its session ended): the connection is over.
  input.on('error', () => tcp.destroy());
  output.on('reset', () => tcp.destroy());
  tcp.on('close', (hadError) => {
    offClose();
    // Nothing more goes into the socket: the host stops sending. What the server said still drains, unless
    // the socket failed (then the host learns of it by a reset).
    if (!input.readableEnded) input.destroy();
    if (hadError) output.destroy();
  });
}
