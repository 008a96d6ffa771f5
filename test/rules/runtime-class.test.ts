import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expectOne, findings, fixed, none, on, pod } from './helpers';

describe('unknown-runtime-class', () => {
  const rc = (name: string) => pod(`  runtimeClassName: ${name}`, '  containers:', '  - {name: a, image: b}');

  it('accepts the three classes and the alias', () => {
    for (const n of ['pod-containers', 'pod-wasm', 'pod-microvm-containers', 'pod-microvm']) none(rc(n), 'unknown-runtime-class');
    none(pod('  containers:', '  - {name: a, image: b}'), 'unknown-runtime-class');
  });

  it('fixes a typo to the nearest class', () => {
    const text = rc('pod-wsam');
    const f = expectOne(text, 'unknown-runtime-class', 'error', on(text, 5, 'pod-wsam'));
    assert.match(f.message, /Did you mean pod-wasm\?/);
    assert.equal(f.fixes?.[0].preferred, true);
    assert.equal(fixed(text, f), rc('pod-wasm'));
    assert.equal(fixed(rc('pod-microvm-container'), findings(rc('pod-microvm-container'), 'unknown-runtime-class')[0]), rc('pod-microvm-containers'));
  });

  it('still offers the nearest class for a far-off name, but not as the preferred fix', () => {
    const f = expectOne(rc('gvisor'), 'unknown-runtime-class', 'error', on(rc('gvisor'), 5, 'gvisor'));
    assert.equal(f.fixes?.length, 1);
    assert.ok(!f.fixes?.[0].preferred);
  });
});

describe('pod-wasm incompatibilities', () => {
  const text = pod(
    '  runtimeClassName: pod-wasm',
    '  hostNetwork: true',
    '  shareProcessNamespace: true',
    '  securityContext: {runAsUser: 1000}',
    '  containers:',
    '  - name: app',
    '    image: b',
    '    ports: [{containerPort: 80, hostPort: 8080}]',
    '    livenessProbe: {exec: {command: [ls]}}',
    '    readinessProbe: {httpGet: {port: 80}}',
    '    startupProbe: {grpc: {port: 9000}}',
    '    lifecycle: {preStop: {exec: {command: [x]}}, postStart: {tcpSocket: {port: 80}}}',
    '    securityContext: {privileged: true, allowPrivilegeEscalation: true, capabilities: {add: [NET_ADMIN]}}',
    '    volumeDevices: [{name: d, devicePath: /dev/xvda}]',
    '    tty: true',
  );

  it('refuses exec probes and hooks (no processes in WASI preview 1)', () => {
    const fs = findings(text, 'wasm-exec');
    assert.deepEqual(fs.map((f) => f.range), [on(text, 13, 'exec'), on(text, 16, 'exec')]);
    assert.equal(fs[0].severity, 'error');
    assert.match(fs[0].message, /livenessProbe of container "app" runs a command, but runtime class pod-wasm .* cannot start processes/);
    assert.match(fs[1].message, /preStop hook/);
  });

  it('refuses httpGet, tcpSocket and grpc probes and hooks (no sockets)', () => {
    const fs = findings(text, 'wasm-network-probe');
    assert.deepEqual(fs.map((f) => f.range), [on(text, 14, 'httpGet'), on(text, 15, 'grpc'), on(text, 16, 'tcpSocket')]);
    assert.match(fs[1].message, /uses grpc, but runtime class pod-wasm .* no sockets/);
  });

  it('refuses host namespaces, host ports, privileges and block devices', () => {
    assert.deepEqual(findings(text, 'wasm-host-namespace').map((f) => f.range), [on(text, 6, 'true'), on(text, 7, 'true')]);
    expectOne(text, 'wasm-host-port', 'error', on(text, 12, '8080'));
    assert.deepEqual(findings(text, 'wasm-privileged').map((f) => f.range),
      [on(text, 17, 'true'), on(text, 17, 'true', 1), on(text, 17, 'add')]);
    expectOne(text, 'wasm-block-device', 'error', on(text, 18, 'volumeDevices'));
  });

  it('notes Linux settings it ignores, as info', () => {
    const fs = findings(text, 'wasm-ignored-setting');
    assert.deepEqual(fs.map((f) => [f.severity, f.range]), [['info', on(text, 8, 'runAsUser')], ['info', on(text, 19, 'tty')]]);
  });

  it('reports none of this for other runtime classes', () => {
    const plain = text.replace('pod-wasm', 'pod-containers');
    for (const rule of ['wasm-exec', 'wasm-network-probe', 'wasm-host-namespace', 'wasm-host-port', 'wasm-privileged', 'wasm-block-device', 'wasm-ignored-setting']) {
      none(plain, rule);
    }
  });

  it('passes a plain module pod', () => {
    const ok = pod('  runtimeClassName: pod-wasm', '  containers:', '  - name: app', '    image: b',
      '    securityContext: {privileged: false, capabilities: {drop: [ALL]}}', '    ports: [{containerPort: 80}]');
    for (const rule of ['wasm-exec', 'wasm-network-probe', 'wasm-host-namespace', 'wasm-host-port', 'wasm-privileged', 'wasm-ignored-setting']) none(ok, rule);
  });
});

describe('microVM incompatibilities', () => {
  const text = pod(
    '  runtimeClassName: pod-microvm',
    '  hostPID: true',
    '  hostNetwork: false',
    '  containers:',
    '  - {name: a, image: b}',
    '  volumes:',
    '  - {name: logs, hostPath: {path: /var/log}}',
    '  - {name: tmp, emptyDir: {}}',
  );

  it('refuses host namespaces and hostPath volumes, naming the VM boundary', () => {
    const f = expectOne(text, 'microvm-host-namespace', 'error', on(text, 6, 'true'));
    assert.match(f.message, /hostPID is set, but runtime class pod-microvm runs the pod in its own VM/);
    const h = expectOne(text, 'microvm-host-path', 'error', on(text, 11, 'hostPath'));
    assert.match(h.message, /VM boundary/);
  });

  it('allows them under pod-containers', () => {
    const plain = text.replace('pod-microvm', 'pod-containers');
    none(plain, 'microvm-host-namespace');
    none(plain, 'microvm-host-path');
  });
});
