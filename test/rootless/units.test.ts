// The rootless parts that need no other user and no namespace: reading id maps and /etc/subuid, planning the
// mapping, finding a delegated cgroup, what a bundle becomes, who owns unpacked files, which ports and ids a
// rootless engine has, where a user's daemon socket is, and the words a pod uses for limits it cannot have.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { identityOf, isInitialMap, outsideId, parseIdMap } from '../../engine/rootless/identity';
import { parseSubordinateIds } from '../../engine/rootless/subids';
import { describeMapping, planMapping, unshareMapArgs } from '../../engine/rootless/mapping';
import { findDelegation } from '../../engine/rootless/cgroup-access';
import { unenforcedLimitsWarning } from '../../engine/rootless/limits-notice';
import { privilegedPortProblem } from '../../engine/rootless/ports';
import { layerOwner } from '../../engine/rootless/layer-owner';
import { adaptBundleForRootless, checkIdsMapped } from '../../engine/rootless/bundle';
import { sandboxIdSpan } from '../../engine/rootless/wasm-sandbox';
import { daemonPaths, userSocketDir } from '../../engine/daemon/paths';
import type { RuntimeSpec } from '../../engine/image/bundle/oci-spec';

const HOST = '         0          0 4294967295\n';
const RANGE = '         0       1001          1\n         1     100000      65536\n';
const SINGLE = '         0       1001          1\n';
const host = identityOf(HOST, HOST, 0, 0);
const ranged = identityOf(RANGE, RANGE, 0, 0);
const single = identityOf(SINGLE, SINGLE, 0, 0);
const plainUser = identityOf(HOST, HOST, 1001, 1001);

const tmp = mkdtempSync(join(tmpdir(), 'podsmith-rootless-units-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('identity', () => {
  it('tells host root, a plain user and root of a user namespace apart', () => {
    assert.ok(isInitialMap(parseIdMap(HOST)));
    assert.deepEqual([host.hostRoot, host.inUserNamespace, host.nsRoot], [true, false, false]);
    assert.deepEqual([plainUser.hostRoot, plainUser.inUserNamespace, plainUser.nsRoot, plainUser.hostUid], [false, false, false, 1001]);
    assert.deepEqual([ranged.hostRoot, ranged.nsRoot, ranged.hostUid, ranged.uidCount], [false, true, 1001, 65537]);
    assert.deepEqual([single.nsRoot, single.uidCount], [true, 1]);
    assert.equal(outsideId(ranged.uidMap, 1000), 100999);
    assert.equal(outsideId(ranged.uidMap, 65537), undefined);
  });
});

describe('subordinate ids and the mapping', () => {
  it('reads ranges by name or uid and ignores comments and broken lines', () => {
    const text = '# comment\nalice:100000:65536\n1001:200000:1000\nbob:300000:65536\nalice:bad:1\nalice:5:0\n';
    assert.deepEqual(parseSubordinateIds(text, { name: 'alice', uid: 1001 }), [
      { start: 100000, count: 65536 },
      { start: 200000, count: 1000 },
    ]);
    assert.deepEqual(parseSubordinateIds(text, { name: 'carol', uid: 1002 }), []);
  });

  it('maps the user to root and the first range after it, or falls back to one id saying why', () => {
    const subuid = join(tmp, 'subuid');
    const subgid = join(tmp, 'subgid');
    writeFileSync(subuid, 'alice:100000:65536\n');
    writeFileSync(subgid, 'alice:300000:65536\n');
    const find = (n: string) => `/usr/bin/${n}`;
    const m = planMapping({ user: 'alice', uid: 1001, gid: 1001, subuidFile: subuid, subgidFile: subgid, find });
    assert.equal(m.kind, 'range');
    assert.deepEqual(unshareMapArgs(m), ['--map-root-user', '--map-users=100000,1,65536', '--map-groups=300000,1,65536']);
    assert.equal(describeMapping(m), '0 -> 1001, 1..65536 -> 100000..165535');
    const noGid = planMapping({ user: 'alice', uid: 1001, gid: 1001, subuidFile: subuid, subgidFile: join(tmp, 'none'), find });
    assert.equal(noGid.kind, 'single');
    assert.match(noGid.kind === 'single' ? noGid.why : '', /has no range for alice/);
    assert.deepEqual(unshareMapArgs(noGid), ['--map-root-user']);
    const noTool = planMapping({ user: 'alice', uid: 1001, gid: 1001, subuidFile: subuid, subgidFile: subgid, find: () => undefined });
    assert.match(noTool.kind === 'single' ? noTool.why : '', /apt-get install uidmap/);
  });
});

describe('cgroup delegation', () => {
  // A cgroup2 tree as files: owners and contents given per path.
  const tree = (owners: Record<string, number>, files: Record<string, string>) => ({
    mount: { path: '/sys/fs/cgroup', root: '/' },
    uid: 1001,
    ownerOf: (p: string) => owners[p.replace(/\/cgroup\.(subtree_control|procs)$/, '')],
    read: (f: string) => {
      if (!(f in files)) throw new Error(`ENOENT ${f}`);
      return files[f];
    },
  });
  const base = '/sys/fs/cgroup/user.slice/user-1001.slice/user@1001.service';

  it('finds the highest empty cgroup the user owns, and puts pods below it', () => {
    const a = findDelegation({
      ...tree(
        { [base]: 1001, [`${base}/app.slice`]: 1001, [`${base}/app.slice/me.scope`]: 1001 },
        {
          [`${base}/cgroup.controllers`]: 'cpu memory pids\n',
          [`${base}/cgroup.procs`]: '',
          [`${base}/app.slice/cgroup.controllers`]: 'cpu memory pids\n',
          [`${base}/app.slice/cgroup.procs`]: '',
          [`${base}/app.slice/me.scope/cgroup.controllers`]: '',
          [`${base}/app.slice/me.scope/cgroup.procs`]: '4242\n',
        },
      ),
      own: '/user.slice/user-1001.slice/user@1001.service/app.slice/me.scope',
    });
    assert.deepEqual(a, { mode: 'delegated', base: '/user.slice/user-1001.slice/user@1001.service/podsmith', delegated: '/user.slice/user-1001.slice/user@1001.service', controllers: ['cpu', 'memory', 'pids'] });
  });

  it('says why when nothing is delegated or the delegated cgroup holds processes itself', () => {
    const none = findDelegation({ ...tree({}, {}), own: '/user.slice/user-1001.slice/session-1.scope' });
    assert.equal(none.mode, 'none');
    assert.match(none.mode === 'none' ? none.why : '', /no cgroup v2 subtree is delegated to uid 1001/);
    const busy = findDelegation({
      ...tree({ [`${base}`]: 1001 }, { [`${base}/cgroup.controllers`]: 'memory pids', [`${base}/cgroup.procs`]: '77\n' }),
      own: '/user.slice/user-1001.slice/user@1001.service',
    });
    assert.match(busy.mode === 'none' ? busy.why : '', /holds processes itself/);
  });
});

describe('what a rootless engine cannot do, said plainly', () => {
  const none = { mode: 'none' as const, why: 'cgroups are hybrid here' };
  const pod = {
    spec: {
      initContainers: [{ name: 'setup', resources: { limits: { memory: '16Mi' } } }],
      containers: [{ name: 'web', resources: { limits: { memory: '64Mi', cpu: '250m' } } }, { name: 'idle' }],
    },
  };

  it('lists every limit a pod sets that is not enforced, and nothing where limits hold', () => {
    const w = unenforcedLimitsWarning(pod, 4096, none)!;
    assert.match(w, /^limits not enforced \(rootless, cgroups are hybrid here\): /);
    assert.match(w, /memory 16Mi \(setup\), memory 64Mi \(web\), cpu 250m \(web\), pids 4096 \(the pod\)/);
    assert.equal(unenforcedLimitsWarning(pod, 4096, { mode: 'root' }), undefined);
    assert.equal(unenforcedLimitsWarning({ spec: { containers: [{ name: 'a' }] } }, 0, none), undefined);
  });

  it('refuses ports below the unprivileged start naming the sysctl, and only for a rootless engine', () => {
    assert.match(privilegedPortProblem(80, 'hostPort 80/TCP', false, 1024)!, /hostPort 80\/TCP is below net\.ipv4\.ip_unprivileged_port_start \(1024\).*sysctl -w net\.ipv4\.ip_unprivileged_port_start=80/);
    assert.equal(privilegedPortProblem(8080, 'hostPort 8080/TCP', false, 1024), undefined);
    assert.equal(privilegedPortProblem(80, 'hostPort 80/TCP', true, 1024), undefined);
  });

  it('keeps image ids the namespace has, squashes them to root in a single-id one, and names ids beyond the range', () => {
    assert.deepEqual(layerOwner(1000, 1000, ranged), { uid: 1000, gid: 1000 });
    assert.deepEqual(layerOwner(1000, 50, single), { uid: 0, gid: 0 });
    assert.deepEqual(layerOwner(70000, 70000, host), { uid: 70000, gid: 70000 });
    const beyond = layerOwner(70000, 0, ranged);
    assert.ok('unmapped' in beyond && /uid 70000, outside the 65537 ids \(0\.\.65536\).*\/etc\/subuid/.test(beyond.unmapped));
  });

  it('refuses a container user the namespace lacks, saying what would hold it', () => {
    assert.throws(() => checkIdsMapped({ uid: 1000, gid: 1000 }, single), /runs as uid 1000, but this rootless engine has no subordinate ids/);
    assert.throws(() => checkIdsMapped({ uid: 0, gid: 0, additionalGids: [70000] }, ranged), /supplementary gid 70000, outside the 65537 ids/);
    assert.doesNotThrow(() => checkIdsMapped({ uid: 65535, gid: 65535 }, ranged));
  });

  it('draws wasm sandbox ids from the range, and has none to draw in a single-id namespace', () => {
    assert.deepEqual(sandboxIdSpan(host), { base: 1_000_000_000, span: 1 << 28 });
    const span = sandboxIdSpan(ranged);
    assert.ok(!('unavailable' in span) && span.base >= 50000 && span.base + span.span <= 65534);
    const none = sandboxIdSpan(single);
    assert.ok('unavailable' in none && /second id/.test(none.unavailable));
  });
});

describe('bundles of a rootless engine', () => {
  const spec = (namespaces: { type: string }[]): RuntimeSpec =>
    ({
      ociVersion: '1.0.2',
      process: { user: { uid: 0, gid: 0 }, args: ['/bin/sh'], cwd: '/' },
      root: { path: '/r' },
      mounts: [
        { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'ro'] },
        { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['newinstance', 'gid=5', 'mode=0620'] },
      ],
      linux: { namespaces, cgroupsPath: '/podsmith/x/y', resources: { pids: { limit: 10 } } },
    }) as unknown as RuntimeSpec;

  it('leaves out cgroups and limits without delegation, binds /sys for the host network, drops a missing tty group', () => {
    const none = { mode: 'none' as const, why: 'x' };
    const out = adaptBundleForRootless(spec([{ type: 'mount' }]), single, none);
    assert.equal(out.linux?.cgroupsPath, undefined);
    assert.equal(out.linux?.resources, undefined);
    assert.deepEqual(out.mounts[0], { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
    assert.deepEqual(out.mounts[1].options, ['newinstance', 'mode=0620']);
    const own = adaptBundleForRootless(spec([{ type: 'network' }, { type: 'mount' }]), ranged, { mode: 'delegated', base: '/d/podsmith', delegated: '/d', controllers: ['memory'] });
    assert.equal(own.linux?.cgroupsPath, '/podsmith/x/y');
    assert.equal(own.mounts[0].type, 'sysfs');
    assert.ok(own.mounts[1].options?.includes('gid=5'));
    assert.equal(adaptBundleForRootless(spec([]), host, none).linux?.cgroupsPath, '/podsmith/x/y', 'root keeps everything');
  });
});

describe("a user's daemon socket", () => {
  it('lives under XDG_RUNTIME_DIR for a user (the default home at podsmith/, others by a tag), in the home for root', () => {
    const xdg = join(tmp, 'xdg');
    mkdirSync(xdg, { mode: 0o700 });
    const env = { XDG_RUNTIME_DIR: xdg, HOME: join(tmp, 'h'), XDG_DATA_HOME: join(tmp, 'data') };
    const me = { hostRoot: false, uid: process.getuid?.() };
    assert.equal(userSocketDir(join(tmp, 'data', 'podsmith'), env, me), join(xdg, 'podsmith'));
    assert.match(userSocketDir(join(tmp, 'other'), env, me)!, new RegExp(`^${xdg}/podsmith/[0-9a-f]{12}$`));
    assert.equal(userSocketDir(join(tmp, 'other'), env, { hostRoot: true, uid: 0 }), undefined);
    assert.equal(userSocketDir(join(tmp, 'other'), { ...env, XDG_RUNTIME_DIR: 'relative' }, me), undefined);
    assert.equal(userSocketDir(join(tmp, 'other'), env, { hostRoot: false, uid: 12345 }), undefined, 'not the user\'s own directory');
    const p = daemonPaths(join(tmp, 'other'), {});
    assert.equal(p.socket, p.homeSocket);
    assert.equal(p.homeSocket, join(tmp, 'other', 'run', 'podsmith.sock'));
  });
});
