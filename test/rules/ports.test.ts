import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expectOne, findings, fixed, none, on, pod } from './helpers';

describe('duplicate-container-port / duplicate-host-port', () => {
  const text = pod(
    '  initContainers:',
    '  - name: setup',
    '    image: b',
    '    ports: [{containerPort: 8080}]',
    '  containers:',
    '  - name: web',
    '    image: b',
    '    ports:',
    '    - {name: http, containerPort: 8080}',
    '    - {name: metrics, containerPort: 9090, hostPort: 9090}',
    '  - name: side',
    '    image: b',
    '    ports:',
    '    - {name: http, containerPort: 8080}',
    '    - {containerPort: 8080, protocol: UDP}',
    '    - {containerPort: 7070, hostPort: 9090}',
    '    - {containerPort: 7071, hostPort: 9090, hostIP: 127.0.0.1}',
  );

  it('warns on the same port and protocol in two app containers (they share the network namespace)', () => {
    const f = expectOne(text, 'duplicate-container-port', 'warning', on(text, 18, '8080'));
    assert.match(f.message, /8080\/TCP is declared already by container "web"/);
  });

  it('refuses the same host port twice, keyed by host IP and protocol', () => {
    const f = expectOne(text, 'duplicate-host-port', 'error', on(text, 20, '9090'));
    assert.match(f.message, /Host port 9090\/TCP is published already by container "web"/);
  });

  it('does not treat a plain init container as running beside the app', () => {
    none(pod('  initContainers:', '  - {name: i, image: b, ports: [{containerPort: 80}]}', '  containers:',
      '  - {name: a, image: b, ports: [{containerPort: 80}]}'), 'duplicate-container-port');
  });

  it('does count a sidecar init container', () => {
    const t = pod('  initContainers:', '  - {name: i, image: b, restartPolicy: Always, ports: [{containerPort: 80}]}', '  containers:',
      '  - {name: a, image: b, ports: [{containerPort: 80}]}');
    expectOne(t, 'duplicate-container-port', 'warning', on(t, 8, '80'));
  });

  it('flags a port declared twice in one container', () => {
    const t = pod('  containers:', '  - {name: a, image: b, ports: [{containerPort: 80}, {containerPort: 80}]}');
    const f = expectOne(t, 'duplicate-container-port', 'warning', on(t, 6, '80', 1));
    assert.match(f.message, /declared twice in container "a"/);
  });
});

describe('duplicate-port-name', () => {
  it('refuses two ports of one container with the same name, but not across containers', () => {
    const t = pod('  containers:', '  - name: a', '    image: b', '    ports:', '    - {name: http, containerPort: 80}',
      '    - {name: http, containerPort: 81}', '  - {name: c, image: b, ports: [{name: http, containerPort: 82}]}');
    expectOne(t, 'duplicate-port-name', 'error', on(t, 10, 'http'));
  });
});

describe('probe-port-undeclared', () => {
  const probe = (port: string, ...ports: string[]) =>
    pod('  containers:', '  - name: web', '    image: b', '    ports:', ...ports, '    readinessProbe:', `      httpGet: {path: /, port: ${port}}`);

  it('renames a misspelt port name to the declared one', () => {
    const text = probe('htp', '    - {name: http, containerPort: 8080}');
    const f = expectOne(text, 'probe-port-undeclared', 'error', on(text, 11, 'htp'));
    assert.match(f.message, /^readinessProbe\.httpGet\.port "htp" names no port of container "web".*did you mean "http"\?/);
    assert.equal(fixed(text, f), probe('http', '    - {name: http, containerPort: 8080}'));
  });

  it('offers the only port number when no name is close', () => {
    const text = probe('admin', '    - {containerPort: 8080}');
    const f = expectOne(text, 'probe-port-undeclared', 'error', on(text, 11, 'admin'));
    assert.match(f.message, /declares no named ports/);
    assert.equal(fixed(text, f), probe('8080', '    - {containerPort: 8080}'));
  });

  it('passes declared names, numbers and numeric strings', () => {
    none(probe('http', '    - {name: http, containerPort: 8080}'), 'probe-port-undeclared');
    none(probe('8080', '    - {containerPort: 8080}'), 'probe-port-undeclared');
    none(probe('"8080"', '    - {containerPort: 8080}'), 'probe-port-undeclared');
  });

  it('checks tcpSocket probes and lifecycle hooks', () => {
    const t = pod('  containers:', '  - name: web', '    image: b', '    livenessProbe: {tcpSocket: {port: db}}',
      '    lifecycle: {preStop: {httpGet: {port: admin}}}');
    const fs = findings(t, 'probe-port-undeclared');
    assert.deepEqual(fs.map((f) => f.range), [on(t, 8, 'db'), on(t, 9, 'admin')]);
    assert.match(fs[1].message, /^lifecycle\.preStop\.httpGet\.port "admin"/);
  });
});

describe('port-range', () => {
  it('accepts 1 and 65535 and refuses 0 and 65536; hostPort 0 means none', () => {
    none(pod('  containers:', '  - {name: a, image: b, ports: [{containerPort: 1}, {containerPort: 65535, hostPort: 0}]}'), 'port-range');
    const t = pod('  containers:', '  - name: a', '    image: b', '    ports: [{containerPort: 0}, {containerPort: 80, hostPort: 65536}]',
      '    readinessProbe: {tcpSocket: {port: 70000}}');
    const fs = findings(t, 'port-range');
    assert.deepEqual(fs.map((f) => [f.severity, f.range]), [
      ['error', on(t, 8, '0')],
      ['error', on(t, 8, '65536')],
      ['error', on(t, 9, '70000')],
    ]);
    assert.match(fs[2].message, /^readinessProbe\.tcpSocket\.port 70000 of container "a" is not a port; use 1 to 65535/);
  });
});
