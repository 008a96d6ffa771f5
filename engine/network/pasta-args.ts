// The pasta command line for a pod: which host ports to forward into the pod and whether to give it an
// outbound interface. Pure, so the policy is testable without pasta.

export type PortProtocol = 'TCP' | 'UDP';

/** A container port published on the host (a pod's `hostPort`). */
export interface HostPortMapping {
  hostPort: number;
  containerPort: number;
  /** Default TCP. */
  protocol?: PortProtocol | 'SCTP';
  /** Host address to bind; empty or 0.0.0.0 / :: means every address. */
  hostIP?: string;
}

export interface PastaArgsOptions {
  /** Forward these host ports into the pod. */
  hostPorts?: HostPortMapping[];
  /**
   * Give the pod an interface (a copy of the host's addresses and routes, `--config-net`) and outbound
   * TCP/UDP/ICMP. Without it the pod keeps only loopback, and host ports still reach it (pasta splices
   * host-loopback connections to the pod's loopback).
   */
  outbound?: boolean;
  /**
   * Let the pod reach the host's own services through the gateway address (pasta's default). Off unless asked:
   * a pod should not see what the host binds on 127.0.0.1.
   */
  allowHostLoopback?: boolean;
  /** Path pasta writes its pid to once it is ready. */
  pidFile: string;
  logFile: string;
  /** The fd number (in pasta) of the pod's network namespace. */
  netnsFd: number;
  /**
   * Whether this pasta maps UDP replies back to a remapped host port. passt 2023.03 (Debian 12) does not:
   * the datagram reaches the pod but the reply is dropped, so such mappings are refused unless this is set.
   */
  udpRemap?: boolean;
  /** Credentials pasta keeps after setup (see startPasta). */
  runAs: { uid: number; gid: number };
}

function checkPort(p: number, what: string): void {
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`${what} ${p} is not a port number (1-65535)`);
}

/** pasta's port spec for one mapping: [ADDR/]HOSTPORT:CONTAINERPORT. */
export function portSpec(m: HostPortMapping): string {
  checkPort(m.hostPort, 'hostPort');
  checkPort(m.containerPort, 'containerPort');
  const ip = m.hostIP?.trim() ?? '';
  const any = ip === '' || ip === '0.0.0.0' || ip === '::';
  if (!any && !/^[0-9a-fA-F.:]+$/.test(ip)) throw new Error(`hostIP "${ip}" is not an IP address`);
  return `${any ? '' : `${ip}/`}${m.hostPort}:${m.containerPort}`;
}

/** Rejects mappings pasta cannot do or that collide with each other. */
export function checkHostPorts(ports: HostPortMapping[]): void {
  const seen = new Map<string, HostPortMapping>();
  for (const m of ports) {
    const proto = m.protocol ?? 'TCP';
    if (proto === 'SCTP') throw new Error(`hostPort ${m.hostPort}/SCTP: SCTP cannot be forwarded (pasta forwards TCP and UDP)`);
    const key = `${proto}/${m.hostPort}`;
    const prev = seen.get(key);
    if (prev) throw new Error(`hostPort ${m.hostPort}/${proto} is used twice (container ports ${prev.containerPort} and ${m.containerPort})`);
    seen.set(key, m);
  }
}

export function pastaArgs(o: PastaArgsOptions): string[] {
  const ports = o.hostPorts ?? [];
  checkHostPorts(ports);
  const tcp = ports.filter((m) => (m.protocol ?? 'TCP') === 'TCP').map(portSpec);
  const udpPorts = ports.filter((m) => m.protocol === 'UDP');
  const remapped = udpPorts.find((m) => m.hostPort !== m.containerPort);
  if (remapped && !o.udpRemap) {
    throw new Error(
      `hostPort ${remapped.hostPort}/UDP -> containerPort ${remapped.containerPort}: this pasta cannot send UDP replies back through a remapped port; use the same number on both sides`,
    );
  }
  const udp = udpPorts.map(portSpec);
  const args = [
    // Root pasta otherwise drops to nobody, which may neither open nor setns into a root-owned namespace.
    '--runas', `${o.runAs.uid}:${o.runAs.gid}`,
    '--netns', `/proc/self/fd/${o.netnsFd}`,
    '-P', o.pidFile,
    '-l', o.logFile,
  ];
  // pasta's default for every direction is "auto" (follow whatever gets bound): only what the pod declares.
  if (tcp.length) for (const s of tcp) args.push('-t', s);
  else args.push('-t', 'none');
  if (udp.length) for (const s of udp) args.push('-u', s);
  else args.push('-u', 'none');
  args.push('-T', 'none', '-U', 'none');
  if (o.outbound ?? true) args.push('--config-net');
  if (!o.allowHostLoopback) args.push('--no-map-gw');
  return args;
}
