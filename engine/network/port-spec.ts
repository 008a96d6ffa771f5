// `podsmith port-forward POD [LOCAL:]PORT...` specs, as kubectl reads them: "8080:80" (local 8080 to pod
// port 80), "80" (the same number on both sides), ":80" (a free local port chosen by the system).

export interface PortPair {
  /** 0: let the system choose. */
  local: number;
  remote: number;
  /** Listen on this address only, instead of the session's addresses (hostPorts with a hostIP). */
  address?: string;
}

function port(s: string, spec: string, allowZero: boolean): number {
  if (!/^\d{1,5}$/.test(s)) throw new Error(`"${spec}": "${s}" is not a port number`);
  const n = Number(s);
  if (n > 65535 || (n === 0 && !allowZero)) throw new Error(`"${spec}": port ${n} is out of range (1-65535)`);
  return n;
}

export function parsePortSpec(spec: string): PortPair {
  const parts = spec.split(':');
  if (parts.length === 1) {
    const n = port(parts[0], spec, false);
    return { local: n, remote: n };
  }
  if (parts.length !== 2) throw new Error(`"${spec}": expected [LOCAL_PORT:]POD_PORT`);
  const remote = port(parts[1], spec, false);
  return { local: parts[0] === '' ? 0 : port(parts[0], spec, true), remote };
}

/** Addresses to listen on for `--address`: "localhost" means 127.0.0.1 and ::1, as in kubectl. */
export function parseListenAddresses(list: string): string[] {
  const out: string[] = [];
  for (const raw of list.split(',')) {
    const a = raw.trim();
    if (!a) continue;
    if (a === 'localhost') out.push('127.0.0.1', '::1');
    else if (/^[0-9a-fA-F.:]+$/.test(a)) out.push(a);
    else throw new Error(`--address "${a}" is not an IP address or "localhost"`);
  }
  if (!out.length) throw new Error('--address names no address');
  return [...new Set(out)];
}
