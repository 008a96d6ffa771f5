// run_pod end to end on real runc + conmon + catatonit: a two-container pod shares the pause container's
// network, IPC and UTS namespaces (loopback traffic between containers, one hostname), admission uses the
// editor's findings, and failures (missing executable, duplicate name) leave nothing behind.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { lintText } from '../../engine/manifest';
import { readPod } from '../../engine/pods/native/state';
import { PodError } from '../../engine/pods/types';
import { container, IMAGE, podManifest, podTestEnv, text, until, whyNoNativePods, type PodTestEnv } from './fixtures';

const skip = whyNoNativePods();

function statePid(env: PodTestEnv, id: string): number {
  const r = spawnSync('runc', ['--root', join(env.home, 'runtime', 'runc'), 'state', id], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout).pid as number;
}

const ns = (pid: number, type: string) => readlinkSync(`/proc/${pid}/ns/${type}`);

describe('run_pod', { skip }, () => {
  let env: PodTestEnv;
  before(async () => {
    env = await podTestEnv();
  });
  afterEach(async () => {
    assert.deepEqual(await env.cleanup(), []);
  });
  after(async () => {
    await env?.dispose();
  });

  it('runs two containers that share loopback, IPC and hostname with the pause container', async () => {
    const events: string[] = [];
    const manifest = podManifest('web', {
      // httpd and sleep as pid 1 ignore SIGTERM: keep the graceful delete short.
      terminationGracePeriodSeconds: 1,
      containers: [
        { name: 'server', image: IMAGE, command: ['sh', '-c', 'mkdir -p /www && echo hello-from-server > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www'] },
        { name: 'client', image: IMAGE, command: ['sleep', '1000'] },
      ],
    });
    const status = await env.runtime.runPod({ manifest, fileName: 'web.yaml' }, (e) => events.push(e.type === 'pull' || e.type === 'occurrence' ? e.type : `${e.type}:${e.type === 'pod' ? e.phase : `${e.container}:${e.state}`}`));
    assert.equal(status.phase, 'Running');
    assert.equal(status.ociRuntime, 'runc', 'crun cannot run containers on this hybrid-cgroup host; runc is chosen');
    assert.equal(status.hostname, 'web');
    for (const c of status.containerStatuses) {
      assert.ok(c.state.running, `${c.name} runs`);
      assert.equal(c.ready, true);
      assert.equal(c.restartCount, 0);
      assert.match(c.imageID, /^sha256:[0-9a-f]{64}$/);
    }
    assert.equal(status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
    assert.deepEqual(events.slice(-3).sort(), ['container:client:running', 'container:server:running', 'pod:Running'].sort());
    assert.equal(events[0].startsWith('container:') || events[0] === 'pod:Pending', true);

    // Loopback is shared: the client reaches the server's 127.0.0.1:8080 (bounded retries while httpd binds).
    const body = await until('the server to answer over the shared loopback', async () => {
      const ex = await env.runtime.exec({ pod: 'web', container: 'client', command: ['wget', '-qO-', 'http://127.0.0.1:8080/'], tty: false, stdin: false });
      const [out, code] = await Promise.all([text(ex.stdout), ex.exit]);
      return code === 0 ? out : undefined;
    });
    assert.equal(body.trim(), 'hello-from-server');

    // One hostname, set by the pause container only; the same net, ipc and uts namespaces everywhere.
    const ex = await env.runtime.exec({ pod: 'web', container: 'client', command: ['hostname'], tty: false, stdin: false });
    assert.equal((await text(ex.stdout)).trim(), 'web');
    assert.equal(await ex.exit, 0);
    // The pause is started directly (no OCI state) where it can run: its pid is in the record.
    const pause = (await readPod(env.home, status.uid))!.pause!.pid;
    for (const c of status.containerStatuses) {
      const pid = statePid(env, c.containerID.replace('podsmith://', ''));
      for (const type of ['net', 'ipc', 'uts']) assert.equal(ns(pid, type), ns(pause, type), `${c.name} shares the ${type} namespace`);
      assert.notEqual(ns(pid, 'mnt'), ns(pause, 'mnt'));
      assert.notEqual(ns(pid, 'net'), ns(process.pid, 'net'), 'not the host network');
    }

    const listed = await env.runtime.listPods();
    assert.deepEqual(listed.map((p) => p.name), ['web']);
    await env.runtime.deletePod({ pod: 'web' });
    await assert.rejects(env.runtime.podStatus('web'), (e: PodError) => e.code === 'NOT_FOUND');
  });

  it('rejects a bad manifest with the same findings the editor shows, creating nothing', async () => {
    const manifest = podManifest('bad', { containerz: [{ name: 'a', image: IMAGE }] });
    const expected = lintText(manifest, { fileName: 'bad.yaml' }).findings.filter((f) => f.severity === 'error');
    assert.ok(expected.length > 0);
    await assert.rejects(env.runtime.runPod({ manifest, fileName: 'bad.yaml' }), (e: PodError) => {
      assert.equal(e.code, 'INVALID');
      assert.deepEqual(e.details?.findings, expected);
      assert.match(e.message, new RegExp(`^bad\\.yaml:${expected[0].range.start.line + 1}:\\d+: .*\\[${expected[0].rule}\\]`));
      return true;
    });
    assert.deepEqual(await env.runtime.listPods(), []);
  });

  it('fails atomically when a container executable is missing, naming the container and runc\'s reason', async () => {
    const manifest = podManifest('noexec', {
      containers: [
        { name: 'fine', image: IMAGE, command: ['sleep', '1000'] },
        { name: 'broken', image: IMAGE, command: ['no-such-program'] },
      ],
    });
    await assert.rejects(env.runtime.runPod({ manifest }), (e: PodError) => {
      assert.equal(e.code, 'START_FAILED');
      assert.equal(e.details?.container, 'broken');
      assert.match(e.message, /container "broken"/);
      assert.match(e.message, /executable file not found/);
      return true;
    });
    assert.deepEqual(await env.runtime.listPods(), []);
    assert.deepEqual(await env.leaks.check(), []);
  });

  it('refuses a second pod of the same name and an image that is not there with pull policy Never', async () => {
    await env.runtime.runPod({ manifest: podManifest('twice', { containers: [{ name: 'a', image: IMAGE, command: ['sleep', '1000'] }] }) });
    await assert.rejects(env.runtime.runPod({ manifest: podManifest('twice', { containers: [{ name: 'a', image: IMAGE, command: ['sleep', '1000'] }] }) }), (e: PodError) => e.code === 'ALREADY_EXISTS');
    await assert.rejects(
      env.runtime.runPod({ manifest: podManifest('noimage', { containers: [{ name: 'a', image: 'podsmith.test/absent:1', imagePullPolicy: 'Never' }] }) }),
      (e: PodError) => e.code === 'IMAGE' && /container "a"/.test(e.message) && /ErrImageNeverPull/.test(e.message),
    );
    assert.equal(container(await env.runtime.podStatus('twice'), 'a').state.running !== undefined, true);
    await env.runtime.deletePod({ pod: 'twice', force: true });
  });
});
