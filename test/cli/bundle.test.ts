// The CLI as users get it: scripts/build.mjs's dist/podsmith.js, which hands pod commands to podsmith-pods.js and
// everything else (the daemon too) to podsmith-engine.js, through the V8 code cache. Run as separate processes
// on the real pod-containers runtime; skipped where native pods cannot run.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { version } from '../../package.json';
import { compileCacheDir } from '../../engine/cli/compile-cache';
import { buildBusyboxLayout, IMAGE, whyNoNativePods } from '../pods/fixtures';
import { LeakTracker } from '../support/leaks';
import { cleanupHome, daemonPid, makeHome, REPO, waitFor } from '../daemon/support/harness';
import { alive } from '../daemon/support/process-runtime';

const skip = whyNoNativePods();
let out: string;
let home: string;
let cache: string;
let leaks: LeakTracker;

const pod = (name: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  annotations:
    podsmith.io/network: none
spec:
  containers:
    - name: app
      image: ${IMAGE}
      command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
`;

interface Ran {
  code: number | null;
  out: string;
  err: string;
}

/** The built CLI in a new process, as a shell runs it. */
function podsmith(args: string[], env: NodeJS.ProcessEnv = {}): Ran {
  const r = spawnSync(process.execPath, [join(out, 'podsmith.js'), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    // koffi stays outside the bundles: found through node_modules, as next to an installed dist/.
    env: { ...process.env, PODSMITH_HOME: home, XDG_CACHE_HOME: cache, NODE_PATH: join(REPO, 'node_modules'), ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function cacheFiles(): string[] {
  const dir = compileCacheDir(cache);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

describe('the built CLI', { skip }, () => {
  before(async () => {
    out = mkdtempSync('/tmp/podsmith-cli-build-');
    const b = spawnSync(process.execPath, ['scripts/build.mjs', '--only', 'cli', '--outdir', out], { cwd: REPO, encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    home = makeHome();
    cache = join(home, 'cache');
    leaks = new LeakTracker(home);
    await buildBusyboxLayout(join(home, 'layout'));
  });

  after(async () => {
    if (home === undefined) return;
    for (const p of JSON.parse(podsmith(['ps', '-a', '-o', 'json']).out || '{"items":[]}').items as { metadata: { uid: string; name: string } }[]) {
      leaks.uids.add(p.metadata.uid);
      podsmith(['rm', '-f', p.metadata.name]);
    }
    const pid = daemonPid(home);
    podsmith(['daemon', 'stop']);
    if (pid) await waitFor('the daemon to exit', () => !alive(pid));
    const left = [...(await leaks.check()), ...(await cleanupHome(home)).map((p) => `process ${p}`)];
    rmSync(out, { recursive: true, force: true });
    assert.deepEqual(left, []);
  });

  it('answers --version from its entry alone: no bundle loaded, nothing cached', () => {
    const r = podsmith(['--version']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `${version}\n`);
    assert.deepEqual(cacheFiles(), []);
  });

  it('loads an image, starts the daemon on demand from the engine bundle, and keeps its exit codes', () => {
    const load = podsmith(['load', '-i', join(home, 'layout'), '--name', IMAGE]);
    assert.equal(load.code, 0, load.err);
    const ps = podsmith(['ps']);
    assert.equal(ps.code, 0, ps.err);
    assert.ok(daemonPid(home), 'a daemon runs');
    const missing = podsmith(['rm', 'no-such-pod']);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /^podsmith rm: pod no-such-pod not found; 'podsmith ps -a' lists pods\n$/);
    const usage = podsmith(['rm', '--bogus']);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /Usage: podsmith rm/);
    assert.equal(podsmith(['frobnicate']).code, 2);
    assert.equal(podsmith(['toString']).code, 2);
    assert.equal(podsmith([]).code, 2);
  });

  it('runs and deletes real pods; a file of two pods with a suppression comment (read by the full parser) runs both', () => {
    writeFileSync(join(home, 'one.yaml'), pod('one'));
    // `podsmith-disable` sends the file past js-yaml to the yaml parser, which the pod commands' bundle loads then.
    writeFileSync(join(home, 'two.yaml'), `# podsmith-disable-next-line limit-grace-period\n${pod('two-a')}---\n${pod('two-b')}`);
    const one = podsmith(['run', '-q', '-f', join(home, 'one.yaml')]);
    assert.equal(one.code, 0, one.err);
    assert.equal(one.out, 'pod/one Running\n');
    const two = podsmith(['run', '-q', '-f', join(home, 'two.yaml')]);
    assert.equal(two.code, 0, two.err);
    assert.equal(two.out, 'pod/two-a Running\npod/two-b Running\n');
    const list = JSON.parse(podsmith(['ps', '-o', 'json']).out) as { items: { metadata: { uid: string; name: string } }[] };
    assert.deepEqual(list.items.map((p) => p.metadata.name).sort(), ['one', 'two-a', 'two-b']);
    for (const p of list.items) leaks.uids.add(p.metadata.uid);
    const again = podsmith(['run', '-q', '-f', join(home, 'one.yaml')]);
    assert.equal(again.code, 1);
    assert.match(again.err, /already exists/);
    for (const name of ['one', 'two-a', 'two-b']) {
      const rm = podsmith(['rm', '-f', name]);
      assert.equal(rm.code, 0, rm.err);
      assert.equal(rm.out, `pod/${name} deleted\n`);
    }
    assert.equal(podsmith(['ps', '-a']).out, '');
  });

  it('writes a code cache per bundle once, then uses it; a damaged or unusable cache changes nothing', () => {
    assert.deepEqual(
      cacheFiles().map((f) => f.replace(/-[0-9a-f]+\.v8$/, '')),
      ['podsmith-engine', 'podsmith-pods'],
    );
    const file = join(compileCacheDir(cache), cacheFiles().find((f) => f.startsWith('podsmith-pods'))!);
    const before = statSync(file);
    assert.equal(podsmith(['ps']).code, 0);
    const after = statSync(file);
    assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs], 'a command that found the cache writes none');

    writeFileSync(file, Buffer.alloc(before.size, 0x41), { mode: 0o600 });
    const damaged = podsmith(['ps', '-a']);
    assert.deepEqual([damaged.code, damaged.out], [0, '']);
    assert.notEqual(statSync(file).ino, before.ino, 'the damaged file was replaced');

    for (const env of [{ XDG_CACHE_HOME: '/proc/self/cache' }, { XDG_CACHE_HOME: join(home, 'one.yaml') }, { PODSMITH_NO_COMPILE_CACHE: '1' }]) {
      const r = podsmith(['rm', 'no-such-pod'], env);
      assert.equal(r.code, 1, `${JSON.stringify(env)}: ${r.err}`);
      assert.match(r.err, /no-such-pod not found/);
    }
  });
});
