import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { doctorCommand } from '../../engine/cli/commands/doctor';
import { UsageError } from '../../engine/cli/files';
import type { Io } from '../../engine/cli/io';
import { runDoctor, type DoctorReport } from '../../engine/doctor';

function capture(): Io & { out_: string; err_: string } {
  const io = { out_: '', err_: '', out: (s: string) => void (io.out_ += s), err: (s: string) => void (io.err_ += s) };
  return io;
}

/** Things the doctor's self-tests create: temp dirs, cgroups, pasta processes. */
function leftovers(): string[] {
  const found = readdirSync(tmpdir()).filter((n) => /^podsmith-doctor-(?!home-test)/.test(n));
  for (const h of readdirSync('/sys/fs/cgroup', { withFileTypes: true })) {
    if (!h.isDirectory()) continue;
    try {
      found.push(...readdirSync(join('/sys/fs/cgroup', h.name)).filter((n) => n.startsWith('podsmith-doctor-')).map((n) => `${h.name}/${n}`));
    } catch {
      // unreadable hierarchy: nothing of ours there
    }
  }
  return found;
}

function livePastaPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        return /\(passt/.test(stat) && !/\) Z /.test(stat);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const ALL = ['oci-runtime', 'crun', 'runc', 'youki', 'cgroups', 'conmon', 'catatonit', 'busybox', 'pasta', 'nsenter', 'ip', 'podsmith-home', 'wasi', 'wasm-sandbox', 'kvm', 'vsock', 'microvm-guest', 'qemu', 'mksquashfs', 'skopeo', 'docker-registry'];

describe('podsmith doctor on this machine', () => {
  let home: string;
  let report: DoctorReport;
  let pastaBefore: number[];
  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'podsmith-doctor-home-test-'));
    pastaBefore = livePastaPids();
    report = await runDoctor({ env: { ...process.env, PODSMITH_HOME: home } });
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('reports every check with consistent fields and verdicts', () => {
    assert.deepEqual(report.checks.map((c) => c.name).sort(), [...ALL].sort());
    for (const c of report.checks) {
      assert.equal(typeof c.detail, 'string');
      assert.ok(c.detail.length > 0, c.name);
      assert.equal(c.status, c.ok ? 'ok' : c.required ? 'fail' : 'warn', c.name);
      if (c.status !== 'ok' && /not (found|installed)/.test(c.detail)) assert.ok(c.fix, `${c.name} says how to install it`);
      if (c.fix && /^apt-get/.test(c.fix)) assert.match(c.fix, /^apt-get install -y [a-z0-9.+-]+( [a-z0-9.+-]+)*$/);
    }
    assert.equal(report.ok, report.checks.every((c) => c.ok || !c.required));
    const required = report.checks.filter((c) => c.required).map((c) => c.name).sort();
    assert.deepEqual(required, ['catatonit', 'cgroups', 'conmon', 'ip', 'nsenter', 'oci-runtime', 'podsmith-home']);
  });

  it('runs a WebAssembly module through node:wasi, for pod-wasm', () => {
    const wasi = report.checks.find((c) => c.name === 'wasi')!;
    assert.equal(wasi.ok, true, wasi.detail);
    assert.equal(wasi.group, 'wasm');
    assert.match(wasi.detail, /^node:wasi \(preview 1\) on Node v\d+\.\d+\.\d+: a module instantiated and ran in [\d.]+ ms$/);
  });

  it('says a wasm pod sandbox can be made here (root, runc, the mount API)', () => {
    const sandbox = report.checks.find((c) => c.name === 'wasm-sandbox')!;
    assert.equal(sandbox.group, 'wasm');
    assert.equal(sandbox.required, false);
    assert.equal(sandbox.ok, process.getuid?.() === 0, sandbox.detail);
    if (sandbox.ok) assert.match(sandbox.detail, /^each wasm pod's supervisor runs in a runc sandbox as an unprivileged id \(runc at \/\S+; Node and \d+ libraries in its root\)$/);
    else assert.match(sandbox.detail, /needs root/);
  });

  it('says runc works here and picks the runtime the pod runtime would', () => {
    // machine.md: runc runs containers on these machines as is.
    const runc = report.checks.find((c) => c.name === 'runc')!;
    assert.equal(runc.ok, true, runc.detail);
    assert.match(runc.detail, /^runc \d+\.\d+\.\d+ ran a test container in \d+ ms$/);
    const order = ['crun', 'runc', 'youki'];
    const first = order.find((n) => report.checks.find((c) => c.name === n)!.ok);
    assert.equal(report.ociRuntime, first);
    assert.equal(report.checks.find((c) => c.name === 'oci-runtime')!.ok, true);
  });

  it('explains crun on hybrid cgroups', () => {
    const cg = report.checks.find((c) => c.name === 'cgroups')!;
    const crun = report.checks.find((c) => c.name === 'crun')!;
    assert.ok(['v1', 'v2', 'hybrid'].includes(cg.facts!.mode as string));
    if (cg.facts!.mode === 'hybrid' && (cg.facts!.v2Controllers as string[]).length && crun.path) {
      assert.equal(crun.ok, false);
      assert.match(crun.detail, /hybrid/);
      assert.match(crun.fix!, /cgroup v2/);
    }
  });

  it('gives KVM and vsock verdicts that match the devices', () => {
    const kvm = report.checks.find((c) => c.name === 'kvm')!;
    assert.equal(kvm.facts!.accel, kvm.ok ? 'kvm' : 'tcg');
    if (existsSync('/sys/module/kvm_pvm')) {
      assert.equal(kvm.ok, false); // machine.md: kvm_pvm, stock guests fail: TCG
      assert.match(kvm.detail, /TCG/);
    }
    const vsock = report.checks.find((c) => c.name === 'vsock')!;
    if (!existsSync('/dev/vhost-vsock')) assert.equal(vsock.ok, false);
    assert.equal(vsock.facts!.channel, vsock.ok ? 'vsock' : 'virtio-serial');
  });

  it('leaves nothing behind', () => {
    assert.deepEqual(leftovers(), []);
    // No pasta of doctor's own is left. Others' pastas (other suites' pods on this machine) may end meanwhile.
    assert.deepEqual(livePastaPids().filter((pid) => !pastaBefore.includes(pid)), []);
    assert.deepEqual(readdirSync(home), [], 'the home probe file is removed');
  });
});

describe('podsmith doctor command', () => {
  it('prints JSON and exits by the verdict', async () => {
    const home = mkdtempSync(join(tmpdir(), 'podsmith-doctor-home-test-'));
    try {
      const io = capture();
      const code = await doctorCommand(['-o', 'json'], io, { ...process.env, PODSMITH_HOME: home });
      const report = JSON.parse(io.out_) as DoctorReport;
      assert.equal(code, report.ok ? 0 : 1);
      assert.ok(Array.isArray(report.checks));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('prints a table and exits 1 when a required part fails (world-writable home)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'podsmith-doctor-home-test-'));
    const home = join(dir, 'home');
    mkdirSync(home);
    chmodSync(home, 0o777);
    try {
      const io = capture();
      const code = await doctorCommand([], io, { ...process.env, PODSMITH_HOME: home });
      assert.equal(code, 1);
      assert.match(io.out_, /^CHECK +STATUS +DETAIL\n/);
      assert.match(io.out_, /\npodsmith-home +FAIL +.*world-writable/);
      assert.match(io.out_, /\n {2}podsmith-home: chmod 700 /);
      assert.match(io.out_, /pod-containers: NOT ready: fix podsmith-home\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad options as usage errors and prints help', async () => {
    await assert.rejects(doctorCommand(['-o', 'yaml'], capture()), UsageError);
    await assert.rejects(doctorCommand(['extra'], capture()), UsageError);
    const io = capture();
    assert.equal(await doctorCommand(['--help'], io), 0);
    assert.match(io.out_, /^Usage: podsmith doctor/);
  });
});
