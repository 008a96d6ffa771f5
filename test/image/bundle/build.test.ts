import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  BundleError,
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  buildBundleConfig,
  reportPorts,
  stopSignal,
  validateRuntimeSpec,
  type RuntimeSpec,
} from '../../../engine/image/bundle';
import { GROUP, PASSWD, POD, image, input } from './fixtures';

const code = (c: string) => (e: unknown) => e instanceof BundleError && e.code === c;
const NS = '/proc/4242/ns';

describe('generated config.json', () => {
  it('has every required field with the right types', () => {
    const r = buildBundleConfig(
      input(
        { workingDir: '/srv', securityContext: { runAsUser: 1000 } },
        { rootfs: { path: '/var/lib/podsmith/rootfs', passwd: PASSWD, group: GROUP } },
      ),
    );
    const c = r.config;
    assert.deepEqual(validateRuntimeSpec(c), []);
    assert.equal(c.ociVersion, '1.0.2');
    assert.deepEqual(c.root, { path: '/var/lib/podsmith/rootfs', readonly: false });
    assert.deepEqual(c.process.args, ['/bin/app', '--serve']);
    assert.equal(c.process.cwd, '/srv');
    assert.deepEqual(c.process.user, { uid: 1000, gid: 1000, additionalGids: [1000, 10, 44] });
    assert.equal(c.process.terminal, false);
    assert.equal(c.process.noNewPrivileges, false);
    assert.equal(c.linux.cgroupsPath, '/podsmith/web/app');
    assert.deepEqual(c.linux.maskedPaths, DEFAULT_MASKED_PATHS);
    assert.deepEqual(c.linux.readonlyPaths, DEFAULT_READONLY_PATHS);
    assert.equal(c.hostname, undefined);
    // survives a JSON round trip unchanged (no undefined holes, no BigInt)
    assert.deepEqual(JSON.parse(JSON.stringify(c)), c);
    assert.deepEqual(validateRuntimeSpec(JSON.parse(JSON.stringify(c))), []);
  });

  it('ociVersion 1.1.0 on request; root.path defaults to rootfs', () => {
    const c = buildBundleConfig(input({}, { ociVersion: '1.1.0' })).config;
    assert.equal(c.ociVersion, '1.1.0');
    assert.equal(c.root.path, 'rootfs');
  });

  it('requires a cgroupsPath', () => {
    assert.throws(() => buildBundleConfig(input({}, { cgroupsPath: '' })), code('INVALID_SPEC'));
  });

  it('readOnlyRootFilesystem makes the root read-only', () => {
    assert.equal(
      buildBundleConfig(input({ securityContext: { readOnlyRootFilesystem: true } })).config.root.readonly,
      true,
    );
  });

  it('allowPrivilegeEscalation: false sets noNewPrivileges; unset or true leaves it off', () => {
    const nnp = (allowPrivilegeEscalation?: boolean) =>
      buildBundleConfig(input({ securityContext: { allowPrivilegeEscalation } })).config.process.noNewPrivileges;
    assert.equal(nnp(false), true);
    assert.equal(nnp(true), false);
    assert.equal(nnp(undefined), false);
  });

  it('privileged: no masked or read-only paths, rw sysfs and cgroup, all devices', () => {
    const c = buildBundleConfig(input({ securityContext: { privileged: true } })).config;
    assert.deepEqual(c.linux.maskedPaths, []);
    assert.deepEqual(c.linux.readonlyPaths, []);
    assert.ok(c.mounts.find((m) => m.destination === '/sys')!.options!.includes('rw'));
    assert.ok(c.mounts.find((m) => m.destination === '/sys/fs/cgroup')!.options!.includes('rw'));
    assert.deepEqual(c.linux.resources!.devices, [{ allow: true, access: 'rwm' }]);
    assert.throws(
      () => buildBundleConfig(input({ securityContext: { privileged: true, allowPrivilegeEscalation: false } })),
      code('INVALID_SPEC'),
    );
  });

  it('procMount Unmasked drops the masked and read-only lists only', () => {
    const c = buildBundleConfig(input({ securityContext: { procMount: 'Unmasked' } })).config;
    assert.deepEqual(c.linux.maskedPaths, []);
    assert.ok(c.mounts.find((m) => m.destination === '/sys')!.options!.includes('ro'));
  });

  it('tty sets terminal and TERM; stdin flags are reported', () => {
    const r = buildBundleConfig(input({ tty: true, stdin: true, stdinOnce: true }));
    assert.equal(r.config.process.terminal, true);
    assert.ok(r.config.process.env!.includes('TERM=xterm'));
    assert.deepEqual([r.stdin, r.stdinOnce], [true, true]);
    const plain = buildBundleConfig(input());
    assert.deepEqual([plain.config.process.terminal, plain.stdin, plain.stdinOnce], [false, false, false]);
  });

  it('every container gets the RuntimeDefault seccomp filter unless it asks otherwise (details in seccomp.test.ts)', () => {
    const r = buildBundleConfig(input());
    assert.equal(r.config.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
    assert.deepEqual(r.warnings, []);
    assert.equal(buildBundleConfig(input({ securityContext: { seccompProfile: { type: 'Unconfined' } } })).config.linux.seccomp, undefined);
  });

  it('runAsNonRoot with a root image fails the build', () => {
    assert.throws(() => buildBundleConfig(input({ securityContext: { runAsNonRoot: true } })), code('RUN_AS_ROOT'));
  });

  it('resources flow into linux.resources, pids from the engine', () => {
    const c = buildBundleConfig(
      input({ resources: { limits: { cpu: '2', memory: '1Gi' } } }, { pidsLimit: 100 }),
    ).config;
    assert.deepEqual(c.linux.resources, {
      devices: [{ allow: false, access: 'rwm' }],
      cpu: { shares: 2048, period: 100000, quota: 200000 },
      memory: { limit: 1073741824 },
      pids: { limit: 100 },
    });
  });
});

describe('namespaces and hostname', () => {
  const types = (c: RuntimeSpec) => c.linux.namespaces!.map((n) => (n.path ? `${n.type}=${n.path}` : n.type));

  it('the pause container creates pid, network, ipc, uts, mount and sets the hostname', () => {
    const c = buildBundleConfig(input({}, { setHostname: true })).config;
    assert.deepEqual(types(c), ['pid', 'network', 'ipc', 'uts', 'mount']);
    assert.equal(c.hostname, 'web');
    assert.equal(c.annotations?.['io.kubernetes.cri.container-type'], 'sandbox');
  });

  it('an app container joins network, ipc and uts by path, gets its own pid and mount, and sets no hostname', () => {
    const c = buildBundleConfig(
      input({}, { namespaces: { network: `${NS}/net`, ipc: `${NS}/ipc`, uts: `${NS}/uts`, pid: `${NS}/pid` } }),
    ).config;
    assert.deepEqual(types(c), ['pid', `network=${NS}/net`, `ipc=${NS}/ipc`, `uts=${NS}/uts`, 'mount']);
    assert.equal(c.hostname, undefined);
    // the pod's hostname still reaches the environment
    assert.ok(c.process.env!.includes('HOSTNAME=web'));
  });

  it('shareProcessNamespace joins the pid namespace too', () => {
    const c = buildBundleConfig(
      input(
        {},
        { pod: { ...POD, shareProcessNamespace: true }, namespaces: { pid: `${NS}/pid`, network: `${NS}/net` } },
      ),
    ).config;
    assert.deepEqual(types(c).slice(0, 2), [`pid=${NS}/pid`, `network=${NS}/net`]);
  });

  it('hostNetwork/hostIPC/hostPID leave those namespaces out', () => {
    const c = buildBundleConfig(input({}, { pod: { ...POD, hostNetwork: true, hostIPC: true, hostPID: true } })).config;
    assert.deepEqual(types(c), ['mount']);
  });

  it('setting a hostname in a joined or host uts namespace is refused', () => {
    assert.throws(
      () => buildBundleConfig(input({}, { setHostname: true, namespaces: { uts: `${NS}/uts` } })),
      code('BAD_NAMESPACE'),
    );
    assert.throws(
      () => buildBundleConfig(input({}, { setHostname: true, pod: { ...POD, hostNetwork: true } })),
      code('BAD_NAMESPACE'),
    );
    assert.throws(() => buildBundleConfig(input({}, { namespaces: { network: 'proc/1/ns/net' } })), /absolute/);
  });
});

describe('mounts', () => {
  it('standard mounts: proc, dev, devpts, shm, mqueue, sysfs ro, cgroup ro', () => {
    const c = buildBundleConfig(input()).config;
    assert.deepEqual(
      c.mounts.map((m) => `${m.destination}:${m.type}`),
      [
        '/proc:proc',
        '/dev:tmpfs',
        '/dev/pts:devpts',
        '/dev/shm:tmpfs',
        '/dev/mqueue:mqueue',
        '/sys:sysfs',
        '/sys/fs/cgroup:cgroup',
      ],
    );
    assert.ok(c.mounts[5].options!.includes('ro'));
    assert.ok(c.mounts[6].options!.includes('ro'));
  });

  it('volumes are bind mounts after the standard ones, parents first; one at /dev/shm replaces the default', () => {
    const c = buildBundleConfig(
      input(
        {},
        {
          mounts: [
            { destination: '/data/cache', source: '/host/cache' },
            { destination: '/data/', source: '/host/data', readOnly: true },
            { destination: '/dev/shm', source: '/host/shm', propagation: 'rslave' },
            { destination: '/scratch', source: 'tmpfs', type: 'tmpfs', options: ['size=1m'] },
          ],
        },
      ),
    ).config;
    const tail = c.mounts.slice(-4);
    assert.deepEqual(tail, [
      { destination: '/data', type: 'bind', source: '/host/data', options: ['rbind', 'rprivate', 'ro'] },
      { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
      { destination: '/data/cache', type: 'bind', source: '/host/cache', options: ['rbind', 'rprivate', 'rw'] },
      { destination: '/dev/shm', type: 'bind', source: '/host/shm', options: ['rbind', 'rslave', 'rw'] },
    ]);
    assert.equal(c.mounts.filter((m) => m.destination === '/dev/shm').length, 1);
  });

  it('refuses relative destinations, .. and duplicates', () => {
    const bad = (mounts: { destination: string; source: string }[]) => () => buildBundleConfig(input({}, { mounts }));
    assert.throws(bad([{ destination: 'data', source: '/x' }]), code('BAD_MOUNT'));
    assert.throws(bad([{ destination: '/a/../etc', source: '/x' }]), /must not contain/);
    assert.throws(
      bad([
        { destination: '/a', source: '/x' },
        { destination: '/a/', source: '/y' },
      ]),
      /two mounts/,
    );
  });
});

describe('ports and stop signal', () => {
  it('reports the image ExposedPorts and the container ports', () => {
    const img = image({
      ExposedPorts: { '80/tcp': {}, '53/udp': {}, '8080': {}, junk: {}, '70000/tcp': {}, '9/sctp': {} },
    });
    const r = reportPorts(img, {
      name: 'c',
      ports: [
        { name: 'http', containerPort: 80 },
        { containerPort: 53, protocol: 'UDP', hostPort: 5353 },
      ],
    });
    assert.deepEqual(r.exposed, [
      { port: 9, protocol: 'SCTP' },
      { port: 53, protocol: 'UDP' },
      { port: 80, protocol: 'TCP' },
      { port: 8080, protocol: 'TCP' },
    ]);
    assert.deepEqual(r.declared, [
      { name: 'http', containerPort: 80, protocol: 'TCP' },
      { containerPort: 53, protocol: 'UDP', hostPort: 5353 },
    ]);
    assert.deepEqual(buildBundleConfig(input({ ports: [{ containerPort: 1 }] })).ports.declared, [
      { containerPort: 1, protocol: 'TCP' },
    ]);
  });

  it('stop signal: lifecycle, then image, then SIGTERM; names normalised', () => {
    assert.equal(stopSignal(image({}), { name: 'c' }), 'SIGTERM');
    assert.equal(stopSignal(image({ StopSignal: 'quit' }), { name: 'c' }), 'SIGQUIT');
    assert.equal(stopSignal(image({ StopSignal: '9' }), { name: 'c' }), '9');
    assert.equal(
      stopSignal(image({ StopSignal: 'SIGINT' }), { name: 'c', lifecycle: { stopSignal: 'SIGUSR1' } }),
      'SIGUSR1',
    );
  });
});

describe('runtime-spec shape check', () => {
  const good = () =>
    structuredClone(buildBundleConfig(input({}, { setHostname: true })).config) as unknown as Record<string, any>;
  const cases: [string, (c: Record<string, any>) => void, RegExp][] = [
    ['not an object', () => undefined, /config/],
    ['bad ociVersion', (c) => (c.ociVersion = '2'), /ociVersion/],
    ['missing root', (c) => delete c.root, /root: required/],
    ['empty args', (c) => (c.process.args = []), /process\.args/],
    ['relative cwd', (c) => (c.process.cwd = 'srv'), /process\.cwd/],
    ['env without =', (c) => (c.process.env = ['NOPE']), /process\.env\[0\]/],
    ['negative uid', (c) => (c.process.user.uid = -1), /process\.user\.uid/],
    ['gid above uint32', (c) => (c.process.user.gid = 2 ** 32), /process\.user\.gid/],
    ['lowercase capability', (c) => (c.process.capabilities.bounding = ['chown']), /capabilities\.bounding/],
    ['unknown capability set', (c) => (c.process.capabilities.extra = []), /unknown capability set/],
    [
      'soft above hard',
      (c) => (c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 2, hard: 1 }]),
      /soft exceeds hard/,
    ],
    ['relative mount destination', (c) => c.mounts.push({ destination: 'x' }), /mounts\[7\]\.destination/],
    ['duplicate namespace', (c) => c.linux.namespaces.push({ type: 'pid' }), /duplicate pid/],
    ['unknown namespace', (c) => c.linux.namespaces.push({ type: 'time' }), /unknown namespace type/],
    [
      'hostname with joined uts',
      (c) => (c.linux.namespaces[3] = { type: 'uts', path: '/proc/1/ns/uts' }),
      /needs a new uts/,
    ],
    ['bad device access', (c) => (c.linux.resources.devices = [{ allow: false, access: 'x' }]), /access/],
    ['fractional memory', (c) => (c.linux.resources.memory = { limit: 1.5 }), /memory\.limit/],
    ['missing linux', (c) => delete c.linux, /linux: required/],
  ];
  for (const [why, mutate, expected] of cases)
    it(why, () => {
      let c: unknown = good();
      if (why === 'not an object') c = 'config';
      else mutate(c as Record<string, any>);
      const problems = validateRuntimeSpec(c);
      assert.ok(problems.length > 0, 'expected a problem');
      assert.match(problems.join('\n'), expected);
    });
});
