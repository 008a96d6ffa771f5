// Host faults on the real runtime, through the CLI and the daemon as users meet them: a missing conmon, OCI
// runtime or catatonit (hidden for real, in a private mount namespace) and a full disk under PODSMITH_HOME.
// Each gives a clear error that says what to install or free, and leaves no pod and nothing running behind.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { buildBusyboxLayout, IMAGE, podManifest, whyNoNativePods } from '../pods/fixtures';
import { LeakTracker } from '../support/leaks';
import { cleanupHome, daemonPid, REPO, runMain, TSX, waitFor, type CliResult } from './support/harness';
import { alive } from './support/process-runtime';

const skip = whyNoNativePods() ?? (spawnSync('unshare', ['-m', 'true']).status !== 0 ? 'unshare -m does not work here' : undefined);
const POD = podManifest('faulty', { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'] }] });

/** `podsmith ARGS` in a private mount namespace where `hide` do not exist (a daemon it starts lives there too). */
function maskedCli(home: string, hide: string[], args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['-m', '--propagation', 'private', '--', process.execPath, '--import', TSX, join(REPO, 'test/daemon/support/masked.ts'), ...hide, '--', ...args], {
      env: { ...process.env, PODSMITH_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

async function podNames(): Promise<string[]> {
  const r = await runMain(['ps', '-a', '-o', 'json']);
  assert.equal(r.code, 0, r.err);
  return (JSON.parse(r.out) as { items: { metadata: { name: string } }[] }).items.map((p) => p.metadata.name);
}

async function stopDaemonOf(home: string): Promise<void> {
  const pid = daemonPid(home);
  await runMain(['daemon', 'stop']);
  if (pid) await waitFor('the daemon to exit', () => !alive(pid));
}

describe('host faults give clear errors and leave nothing', { skip }, () => {
  let base: string;
  let home: string;
  let leaks: LeakTracker;
  const savedHome = process.env.PODSMITH_HOME;

  before(async () => {
    // A small tmpfs as PODSMITH_HOME, so the disk can be filled for real.
    // (The home is a folder of the mount: the leak checker reports any mount at or below the home.)
    base = mkdtempSync('/tmp/psd-');
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24m,mode=0700', 'tmpfs', base], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);
    home = join(base, 'h');
    process.env.PODSMITH_HOME = home;
    const layout = mkdtempSync('/tmp/psd-layout-');
    await buildBusyboxLayout(layout);
    const loaded = await runMain(['load', '-i', layout, '--name', IMAGE]);
    rmSync(layout, { recursive: true, force: true });
    assert.equal(loaded.code, 0, loaded.err);
    writeFileSync(join(home, 'pod.yaml'), POD);
    leaks = new LeakTracker(home);
  });

  after(async () => {
    if (home) await stopDaemonOf(home).catch(() => undefined);
    if (savedHome === undefined) delete process.env.PODSMITH_HOME;
    else process.env.PODSMITH_HOME = savedHome;
    if (!home) return;
    const left = await cleanupHome(home);
    spawnSync('umount', [base]);
    rmSync(base, { recursive: true, force: true });
    assert.deepEqual(left, []);
  });

  const cases: { what: string; hide: string[]; message: RegExp }[] = [
    { what: 'conmon', hide: ['/usr/bin/conmon', '/usr/libexec/podman/conmon'], message: /conmon is not installed \(apt-get install conmon\)/ },
    { what: 'every OCI runtime', hide: ['/usr/sbin/runc', '/usr/bin/runc', '/usr/bin/crun', '/usr/sbin/crun', '/usr/bin/youki'], message: /no OCI runtime is installed: apt-get install runc/ },
    { what: 'catatonit', hide: ['/usr/bin/catatonit', '/usr/libexec/podman/catatonit', '/usr/libexec/catatonit/catatonit'], message: /catatonit is not installed \(apt-get install catatonit\)/ },
  ];
  for (const c of cases) {
    it(`without ${c.what}, run says what to install and makes no pod`, async () => {
      const r = await maskedCli(home, c.hide, ['run', '-f', join(home, 'pod.yaml')]);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, c.message);
      assert.match(r.err, /pod\.yaml/);
      // The daemon the masked CLI started still answers (from outside the namespace): no pod, nothing left.
      assert.deepEqual(await podNames(), []);
      assert.deepEqual(await leaks.check(), []);
      await stopDaemonOf(home);
    });
  }

  it('on a full disk, run says so and what to do, keeps nothing, and works once space is back', async () => {
    // The daemon starts before the disk fills (its own log and lock need a few bytes).
    assert.deepEqual(await podNames(), []);
    const filler = join(home, 'filler');
    const fd = openSync(filler, 'w');
    const chunk = Buffer.alloc(64 * 1024);
    try {
      for (;;) writeSync(fd, chunk);
    } catch (err) {
      assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
    } finally {
      closeSync(fd);
    }
    const full = await runMain(['run', '-f', join(home, 'pod.yaml')]);
    assert.equal(full.code, 1);
    assert.match(full.err, /the disk is full \(.*\): free some space .*podsmith prune/);
    assert.deepEqual(await podNames(), []);
    assert.deepEqual(await leaks.check(), []);

    rmSync(filler);
    const ok = await runMain(['run', '-f', join(home, 'pod.yaml')]);
    assert.equal(ok.code, 0, ok.err);
    assert.equal((await runMain(['rm', '-f', 'faulty'])).code, 0);
    assert.deepEqual(await leaks.check(), []);
    await stopDaemonOf(home);
  });
});
