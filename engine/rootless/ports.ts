// Ports below net.ipv4.ip_unprivileged_port_start (1024 unless changed) need CAP_NET_BIND_SERVICE in the
// host's network namespace, which a rootless engine (root only of its own user namespace) does not have.
import { readFileSync } from 'node:fs';
import { identity } from './identity';

export const PORT_START_SYSCTL = 'net.ipv4.ip_unprivileged_port_start';

export function unprivilegedPortStart(): number {
  try {
    const n = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim());
    return Number.isInteger(n) && n >= 0 ? n : 1024;
  } catch {
    return 1024;
  }
}

/** Why `what` (e.g. `hostPort 80/TCP`) cannot be bound on the host by this engine, or undefined when it can. */
export function privilegedPortProblem(port: number, what: string, hostRoot = identity().hostRoot, start = unprivilegedPortStart()): string | undefined {
  if (hostRoot || port === 0) return undefined;
  if (port >= start) return undefined;
  return `${what} is below ${PORT_START_SYSCTL} (${start}): a rootless engine cannot bind it; use a port of ${start} or above, or let users bind it (as root: sysctl -w ${PORT_START_SYSCTL}=${port})`;
}
