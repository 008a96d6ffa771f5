// Ports: port-range, duplicate-container-port, duplicate-host-port, duplicate-port-name and
// probe-port-undeclared.
// App containers and sidecars share one network namespace for the pod's lifetime, so their ports collide;
// a plain init container runs alone and only collides with itself.
import {
  containersOf,
  describeContainer,
  field,
  listed,
  objField,
  objItems,
  shown,
  strField,
  type ContainerRef,
  type Obj,
} from '../../limits/pod-walk';
import type { Path } from '../types';
import type { FixSpec, Report } from '../report';
import { closest } from './closest';

interface PortRef {
  c: ContainerRef;
  index: number;
  port: Obj;
}

/** Containers that run at the same time, grouped: each plain init container alone, everything else together. */
function networkScopes(pod: unknown): ContainerRef[][] {
  const shared: ContainerRef[] = [];
  const scopes: ContainerRef[][] = [shared];
  for (const c of containersOf(pod, ['initContainers', 'containers'])) {
    if (c.group === 'initContainers' && !c.sidecar) scopes.push([c]);
    else shared.push(c);
  }
  return scopes;
}

function portsOf(c: ContainerRef): PortRef[] {
  return objItems(c.container, 'ports').map(({ item, index }) => ({ c, index, port: item }));
}

function protocolOf(port: Obj): string {
  return strField(port, 'protocol') ?? 'TCP';
}

function where(first: PortRef, again: PortRef): string {
  return first.c === again.c ? `twice in ${describeContainer(again.c)}` : `already by ${describeContainer(first.c)}`;
}

function checkCollisions(pod: unknown): Report[] {
  const out: Report[] = [];
  for (const scope of networkScopes(pod)) {
    const bound = new Map<string, PortRef>();
    const published = new Map<string, PortRef>();
    for (const p of scope.flatMap(portsOf)) {
      const containerPort = field(p.port, 'containerPort');
      const base: Path = [...p.c.path, 'ports', p.index];
      if (typeof containerPort === 'number') {
        const key = `${containerPort}/${protocolOf(p.port)}`;
        const first = bound.get(key);
        if (!first) bound.set(key, p);
        else {
          out.push({
            rule: 'duplicate-container-port',
            path: [...base, 'containerPort'],
            message: `Port ${key} is declared ${where(first, p)}; containers in a pod share one network namespace, so only one process can listen on it. Use another port or remove this entry.`,
          });
        }
      }
      const hostPort = field(p.port, 'hostPort');
      if (typeof hostPort === 'number' && hostPort !== 0) {
        const hostIP = strField(p.port, 'hostIP') ?? '';
        const key = `${hostIP ? `${hostIP}:` : ''}${hostPort}/${protocolOf(p.port)}`;
        const first = published.get(key);
        if (!first) published.set(key, p);
        else {
          out.push({
            rule: 'duplicate-host-port',
            path: [...base, 'hostPort'],
            message: `Host port ${key} is published ${where(first, p)}; the host can bind it only once. Use another hostPort.`,
          });
        }
      }
    }
  }
  return out;
}

function checkPortNames(c: ContainerRef): Report[] {
  const out: Report[] = [];
  const seen = new Set<string>();
  for (const p of portsOf(c)) {
    const name = strField(p.port, 'name');
    if (name === undefined) continue;
    if (!seen.has(name)) {
      seen.add(name);
      continue;
    }
    out.push({
      rule: 'duplicate-port-name',
      path: [...c.path, 'ports', p.index, 'name'],
      message: `Port name ${shown(name)} is used twice in ${describeContainer(c)}; probes and services pick a port by name, so names must be unique. Rename one.`,
    });
  }
  return out;
}

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const HOOKS = ['postStart', 'preStop'] as const;

/** Every handler that may name a port: probes and lifecycle hooks, with the path of the handler object. */
function portHandlers(c: ContainerRef): { path: Path; label: string; handler: Obj }[] {
  const out: { path: Path; label: string; handler: Obj }[] = [];
  const add = (base: Path, label: string, owner: unknown) => {
    for (const kind of ['httpGet', 'tcpSocket'] as const) {
      const handler = objField(owner, kind);
      if (handler) out.push({ path: [...base, kind], label: `${label}.${kind}`, handler });
    }
  };
  for (const probe of PROBES) add([...c.path, probe], probe, objField(c.container, probe));
  const lifecycle = objField(c.container, 'lifecycle');
  for (const hook of HOOKS) add([...c.path, 'lifecycle', hook], `lifecycle.${hook}`, objField(lifecycle, hook));
  return out;
}

function checkNamedPorts(c: ContainerRef): Report[] {
  const out: Report[] = [];
  const ports = portsOf(c);
  const names = [...new Set(ports.flatMap((p) => {
    const n = strField(p.port, 'name');
    return n !== undefined ? [n] : [];
  }))];
  for (const h of portHandlers(c)) {
    const port = field(h.handler, 'port');
    // The kubelet reads a numeric string as a number, so only real names need a declared port.
    if (typeof port !== 'string' || /^\d+$/.test(port) || names.includes(port)) continue;
    const guess = closest(port, names);
    const fixes: FixSpec[] = [];
    if (guess) fixes.push({ kind: 'set-value', title: `Change to "${guess}"`, value: guess, preferred: true });
    const numbers = ports.map((p) => field(p.port, 'containerPort')).filter((n): n is number => typeof n === 'number');
    if (!guess && numbers.length === 1) fixes.push({ kind: 'set-value', title: `Use port ${numbers[0]}`, value: numbers[0] });
    const known = names.length === 0
      ? `${describeContainer(c)} declares no named ports; name one under ports, or use a port number.`
      : `${guess ? `did you mean ${shown(guess)}? ` : ''}Port names of ${describeContainer(c)}: ${listed(names)}.`;
    out.push({
      rule: 'probe-port-undeclared',
      path: [...h.path, 'port'],
      message: `${h.label}.port ${shown(port)} names no port of ${describeContainer(c)}, so the check can never connect; ${known}`,
      fixes,
    });
  }
  return out;
}

/** TCP and UDP ports are 16-bit; 0 means "none" for a hostPort only. The schema only knows they are int32. */
function checkRanges(c: ContainerRef): Report[] {
  const out: Report[] = [];
  const check = (path: Path, value: unknown, min: number, what: string) => {
    if (typeof value !== 'number' || (value >= min && value <= 65535)) return;
    out.push({ rule: 'port-range', path, message: `${what} ${value} of ${describeContainer(c)} is not a port; use ${min} to 65535.` });
  };
  for (const p of portsOf(c)) {
    const base: Path = [...c.path, 'ports', p.index];
    check([...base, 'containerPort'], field(p.port, 'containerPort'), 1, 'containerPort');
    check([...base, 'hostPort'], field(p.port, 'hostPort'), 0, 'hostPort');
  }
  for (const h of portHandlers(c)) check([...h.path, 'port'], field(h.handler, 'port'), 1, `${h.label}.port`);
  return out;
}

export function checkPorts(pod: unknown): Report[] {
  const out = checkCollisions(pod);
  for (const c of containersOf(pod)) out.push(...checkRanges(c), ...checkPortNames(c), ...checkNamedPorts(c));
  return out;
}
