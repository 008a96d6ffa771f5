import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupLayout, cgroupsCheckFrom, parseCgroupMounts } from '../../engine/doctor/cgroups';
import { formatReport } from '../../engine/doctor/format';
import { homeCheck } from '../../engine/doctor/home-check';
import { isStaticElf } from '../../engine/doctor/static-elf';
import { parseVersion } from '../../engine/doctor/tool-checks';
import { result } from '../../engine/doctor/types';
import { findExecutable } from '../../engine/network/run-tool';

const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
const V2 = `25 20 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n`;
const V1_COMBINED = `30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
31 25 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
`;

describe('cgroup layout', () => {
  it('recognises hybrid (v1 controllers plus a cgroup2 mount holding some)', () => {
    const l = cgroupLayout(parseCgroupMounts(HYBRID), (m) => (m === '/sys/fs/cgroup/unified' ? ['hugetlb'] : []));
    assert.equal(l.mode, 'hybrid');
    assert.deepEqual(l.v1Controllers, ['cpu', 'cpuacct', 'memory', 'pids']);
    assert.deepEqual(l.v2Controllers, ['hugetlb']);
    const c = cgroupsCheckFrom(l);
    assert.equal(c.ok, true);
    assert.match(c.detail, /^hybrid: .* cgroup2 at \/sys\/fs\/cgroup\/unified holding hugetlb/);
  });
  it('recognises pure v2 and reads its controllers', () => {
    const l = cgroupLayout(parseCgroupMounts(V2), () => ['cpuset', 'cpu', 'io', 'memory', 'pids']);
    assert.equal(l.mode, 'v2');
    assert.equal(cgroupsCheckFrom(l).ok, true);
    const poor = cgroupLayout(parseCgroupMounts(V2), () => ['cpu']);
    const c = cgroupsCheckFrom(poor);
    assert.equal(c.ok, false);
    assert.match(c.detail, /missing memory, pids/);
    assert.match(c.fix!, /cgroup_enable=memory cgroup_enable=pids/);
  });
  it('recognises v1 with co-mounted controllers and no cgroups at all', () => {
    const l = cgroupLayout(parseCgroupMounts(V1_COMBINED), () => []);
    assert.equal(l.mode, 'v1');
    assert.deepEqual(l.v1Controllers, ['cpu', 'cpuacct', 'memory']);
    assert.match(cgroupsCheckFrom(l).detail, /missing pids/);
    const none = cgroupLayout(parseCgroupMounts('1 0 8:1 / / rw - ext4 /dev/sda1 rw\n'), () => []);
    assert.equal(none.mode, 'none');
    assert.equal(cgroupsCheckFrom(none).ok, false);
  });
});

describe('small helpers', () => {
  it('parses tool versions', () => {
    assert.equal(parseVersion('runc version 1.1.5+ds1\ncommit: x'), '1.1.5');
    assert.equal(parseVersion('tini version 0.1.7_catatonit'), '0.1.7');
    assert.equal(parseVersion('ip utility, iproute2-6.1.0, libbpf 1.1.2'), '6.1.0');
    assert.equal(parseVersion('pasta unknown version'), undefined);
  });
  it('tells static executables from dynamic ones', () => {
    const busybox = findExecutable('busybox');
    if (busybox) assert.equal(isStaticElf(busybox), true);
    assert.equal(isStaticElf(process.execPath), false, 'node is dynamically linked');
    assert.equal(isStaticElf('/etc/hostname'), false);
    assert.equal(isStaticElf('/nonexistent'), false);
  });
  it('derives status from ok and required, and prints fixes for what is not ok', () => {
    const fail = result({ name: 'conmon', group: 'containers', required: true, ok: false, detail: 'missing', fix: 'apt-get install -y conmon' });
    const warn = result({ name: 'qemu', group: 'microvm', required: false, ok: false, detail: 'missing', fix: 'apt-get install -y qemu-system-x86' });
    const ok = result({ name: 'runc', group: 'containers', required: false, ok: true, detail: 'fine' });
    assert.deepEqual([fail.status, warn.status, ok.status], ['fail', 'warn', 'ok']);
    assert.equal('fix' in ok, false);
    const text = formatReport({ ok: false, checks: [ok, fail, warn], ms: 1 });
    assert.match(text, /^CHECK +STATUS +DETAIL\n/);
    assert.match(text, /conmon +FAIL +missing/);
    assert.match(text, /To fix:\n {2}conmon: apt-get install -y conmon\n {2}qemu \(optional\): apt-get install -y qemu-system-x86\n/);
    assert.match(text, /pod-containers: NOT ready: fix conmon\n$/);
  });
});

describe('PODSMITH_HOME check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'podsmith-doctor-home-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts an owner-only directory and one still to be created', async () => {
    const home = join(dir, 'good');
    mkdirSync(home, { mode: 0o700 });
    const r = await homeCheck({ PODSMITH_HOME: home });
    assert.equal(r.ok, true, r.detail);
    assert.equal(r.required, true);
    assert.equal(r.facts?.mode, '0700');
    const later = await homeCheck({ PODSMITH_HOME: join(dir, 'not', 'yet') });
    assert.equal(later.ok, true);
    assert.match(later.detail, /will be created \(mode 0700\)/);
  });

  it('fails a world-writable directory and a file', async () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const r = await homeCheck({ PODSMITH_HOME: open });
    assert.equal(r.status, 'fail');
    assert.match(r.detail, /world-writable \(mode 0777\)/);
    assert.equal(r.fix, `chmod 700 ${open}`);
    const file = join(dir, 'file');
    writeFileSync(file, '');
    assert.match((await homeCheck({ PODSMITH_HOME: file })).detail, /not a directory/);
  });
});
