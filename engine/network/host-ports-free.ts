// hostPorts must be free on the host before pasta takes them: pasta binds IPv4 and IPv6 separately and
// carries on when only one of them works, so a port another program holds on 0.0.0.0 would half-succeed
// (IPv4 clients reaching the other program). Checked by binding each port once, the way pasta will.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import type { HostPortMapping } from './pasta-args';
import { privilegedPortProblem } from '../rootless/ports';

function tryTcp(port: number, host: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(undefined)));
  });
}

function tryUdp(port: number, host: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    s.once('error', (e: NodeJS.ErrnoException) => {
      s.close();
      resolve(e.code ?? e.message);
    });
    s.bind({ port, address: host, exclusive: true }, () => s.close(() => resolve(undefined)));
  });
}

/** Throws naming the first hostPort that another program already holds. */
export async function assertHostPortsFree(hostPorts: HostPortMapping[]): Promise<void> {
  for (const m of hostPorts) {
    const host = m.hostIP?.trim() || '0.0.0.0';
    const protocol = m.protocol ?? 'TCP';
    if (protocol === 'SCTP') continue; // pasta refuses SCTP with its own message
    const privileged = privilegedPortProblem(m.hostPort, `hostPort ${m.hostPort}/${protocol}`);
    if (privileged) throw new Error(privileged);
    const why = protocol === 'UDP' ? await tryUdp(m.hostPort, host) : await tryTcp(m.hostPort, host);
    if (why === 'EADDRINUSE') throw new Error(`hostPort ${m.hostPort}/${protocol} is already in use on this host (${host}): free it or pick another hostPort`);
    if (why === 'EADDRNOTAVAIL') throw new Error(`hostIP ${host} of hostPort ${m.hostPort}/${protocol} is not an address of this host`);
    if (why === 'EACCES') throw new Error(`hostPort ${m.hostPort}/${protocol} needs privileges this engine does not have`);
  }
}
