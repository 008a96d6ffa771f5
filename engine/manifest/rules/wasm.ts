// What runtime class pod-wasm cannot honour. Its containers are WebAssembly modules run under WASI
// preview 1: no processes to spawn (exec), no sockets to listen on or connect to (network probes, host
// ports), no Linux namespaces, capabilities or devices. Settings that would fail are errors; Linux identity
// and hardening settings, which have nothing to act on inside the sandbox, are noted as ignored.
import { arrField, capitalized, containersOf, describeContainer, field, objField, objItems, type ContainerRef } from '../../limits/pod-walk';
import type { Path } from '../types';
import type { Report } from '../report';

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const HOOKS = ['postStart', 'preStop'] as const;
const NETWORK_HANDLERS = ['httpGet', 'tcpSocket', 'grpc'] as const;

/** Probe and hook handlers of a container: where they are and what the message calls them. */
function handlers(c: ContainerRef): { path: Path; label: string; owner: unknown }[] {
  const lifecycle = objField(c.container, 'lifecycle');
  return [
    ...PROBES.map((p) => ({ path: [...c.path, p], label: p, owner: field(c.container, p) })),
    ...HOOKS.map((h) => ({ path: [...c.path, 'lifecycle', h], label: `${h} hook`, owner: field(lifecycle, h) })),
  ];
}

function checkHandlers(c: ContainerRef, rc: string): Report[] {
  const out: Report[] = [];
  for (const h of handlers(c)) {
    if (objField(h.owner, 'exec')) {
      out.push({
        rule: 'wasm-exec',
        path: [...h.path, 'exec'],
        target: 'key',
        message: `The ${h.label} of ${describeContainer(c)} runs a command, but runtime class ${rc} runs WebAssembly modules under WASI preview 1, which cannot start processes. Remove it, or run the pod with pod-containers.`,
      });
    }
    for (const kind of NETWORK_HANDLERS) {
      if (!objField(h.owner, kind)) continue;
      out.push({
        rule: 'wasm-network-probe',
        path: [...h.path, kind],
        target: 'key',
        message: `The ${h.label} of ${describeContainer(c)} uses ${kind}, but runtime class ${rc} runs WebAssembly modules under WASI preview 1, which has no sockets to listen on, so it could never succeed. Remove it, or run the pod with pod-containers.`,
      });
    }
  }
  return out;
}

function checkSecurity(c: ContainerRef, rc: string): Report[] {
  const out: Report[] = [];
  const sc = objField(c.container, 'securityContext');
  const base: Path = [...c.path, 'securityContext'];
  const why = `runtime class ${rc} runs WebAssembly modules, which have no Linux capabilities or privileges to grant`;
  if (field(sc, 'privileged') === true) {
    out.push({ rule: 'wasm-privileged', path: [...base, 'privileged'], message: `${capitalized(describeContainer(c))} asks to be privileged, but ${why}. Remove privileged.` });
  }
  if (field(sc, 'allowPrivilegeEscalation') === true) {
    out.push({ rule: 'wasm-privileged', path: [...base, 'allowPrivilegeEscalation'], message: `${capitalized(describeContainer(c))} allows privilege escalation, but ${why}. Remove allowPrivilegeEscalation.` });
  }
  const add = arrField(objField(sc, 'capabilities'), 'add');
  if (add && add.length > 0) {
    out.push({ rule: 'wasm-privileged', path: [...base, 'capabilities', 'add'], target: 'key', message: `${capitalized(describeContainer(c))} adds Linux capabilities, but ${why}. Remove capabilities.add.` });
  }
  return out;
}

/** Linux process settings a WebAssembly module has nothing to apply to. */
const IGNORED_POD_SECURITY = ['runAsUser', 'runAsGroup', 'fsGroup', 'supplementalGroups', 'seLinuxOptions', 'seccompProfile', 'appArmorProfile', 'sysctls'];
const IGNORED_CONTAINER_SECURITY = ['runAsUser', 'runAsGroup', 'seLinuxOptions', 'seccompProfile', 'appArmorProfile', 'procMount'];

function ignored(path: Path, setting: string, rc: string): Report {
  return {
    rule: 'wasm-ignored-setting',
    path,
    target: 'key',
    message: `${setting} has no effect under runtime class ${rc}: a WebAssembly module has no Linux users, groups, kernel profiles or terminal, so the setting is ignored.`,
  };
}

export function checkWasm(pod: unknown, rc: string): Report[] {
  const out: Report[] = [];
  const spec = objField(pod, 'spec');
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC', 'shareProcessNamespace']) {
    if (field(spec, key) !== true) continue;
    out.push({
      rule: 'wasm-host-namespace',
      path: ['spec', key],
      message: `${key} is set, but runtime class ${rc} runs each container as a sandboxed WebAssembly module, which has no Linux namespaces to share. Remove ${key}, or run the pod with pod-containers.`,
    });
  }
  const podSc = objField(spec, 'securityContext');
  for (const key of IGNORED_POD_SECURITY) {
    if (field(podSc, key) !== undefined) out.push(ignored(['spec', 'securityContext', key], `securityContext.${key}`, rc));
  }
  for (const c of containersOf(pod)) {
    out.push(...checkHandlers(c, rc), ...checkSecurity(c, rc));
    for (const { item, index } of objItems(c.container, 'ports')) {
      const hostPort = field(item, 'hostPort');
      if (typeof hostPort !== 'number' || hostPort === 0) continue;
      out.push({
        rule: 'wasm-host-port',
        path: [...c.path, 'ports', index, 'hostPort'],
        message: `${capitalized(describeContainer(c))} publishes host port ${hostPort}, but runtime class ${rc} runs WebAssembly modules under WASI preview 1, which cannot listen on sockets. Remove hostPort, or run the pod with pod-containers.`,
      });
    }
    const devices = arrField(c.container, 'volumeDevices');
    if (devices && devices.length > 0) {
      out.push({
        rule: 'wasm-block-device',
        path: [...c.path, 'volumeDevices'],
        target: 'key',
        message: `${capitalized(describeContainer(c))} attaches raw block devices, but runtime class ${rc} gives WebAssembly modules files and directories only. Mount the volume with volumeMounts instead.`,
      });
    }
    const sc = objField(c.container, 'securityContext');
    for (const key of IGNORED_CONTAINER_SECURITY) {
      if (field(sc, key) !== undefined) out.push(ignored([...c.path, 'securityContext', key], `securityContext.${key} of ${describeContainer(c)}`, rc));
    }
    if (field(c.container, 'tty') === true) out.push(ignored([...c.path, 'tty'], `tty of ${describeContainer(c)}`, rc));
  }
  return out;
}
