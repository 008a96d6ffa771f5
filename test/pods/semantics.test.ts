// Kubernetes semantics a demanding user checks (issue 9), on the real engine: status.podIP in env and
// downwardAPI files, container times that never run backwards, exec of a missing command or into a
// terminated container, the evidence a failed `run` keeps (the failing container's last output), and the
// kubelet's events and condition messages (Unhealthy, Killing, FailedPostStartHook, FailedPreStopHook,
// ContainersNotReady).
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PodError, type PodEvent } from '../../engine/pods/types';
import { container, IMAGE, podManifest, podTestEnv, text, until, whyNoNativePods, type PodTestEnv } from './fixtures';

const skip = whyNoNativePods();
const noPasta = spawnSync('sh', ['-c', 'command -v pasta']).status !== 0 ? 'pasta is not installed (apt-get install passt)' : undefined;

async function run(env: PodTestEnv, pod: string, command: string[], o: { container?: string; tty?: boolean } = {}) {
  const ex = await env.runtime.exec({ pod, command, tty: o.tty ?? false, stdin: false, ...(o.container ? { container: o.container } : {}) });
  const [out, err, code] = await Promise.all([text(ex.stdout), text(ex.stderr), ex.exit]);
  return { out, err, code };
}

/** Every event of the runtime from now on (pull progress left out). */
function record(env: PodTestEnv): { events: PodEvent[]; stop(): void } {
  const events: PodEvent[] = [];
  const stop = env.runtime.watch((e) => {
    if (e.type !== 'pull') events.push(e);
  });
  return { events, stop };
}

const occurrences = (events: PodEvent[], pod: string) =>
  events.filter((e): e is Extract<PodEvent, { type: 'occurrence' }> => e.type === 'occurrence' && e.pod === pod);

describe('Kubernetes semantics (issue 9)', { skip }, () => {
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

  it('status.podIP and status.podIPs reach env and downwardAPI files, and equal the pod status', { skip: noPasta }, async () => {
    const ipEnv = [
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'POD_IPS', valueFrom: { fieldRef: { fieldPath: 'status.podIPs' } } },
    ];
    const status = await env.runtime.runPod({
      manifest: podManifest('addr', {
        terminationGracePeriodSeconds: 1,
        volumes: [
          { name: 'info', downwardAPI: { items: [{ path: 'ip', fieldRef: { fieldPath: 'status.podIP' } }, { path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
          { name: 'proj', projected: { sources: [{ downwardAPI: { items: [{ path: 'ips', fieldRef: { fieldPath: 'status.podIPs' } }] } }] } },
        ],
        initContainers: [{ name: 'init', image: IMAGE, command: ['sh', '-c', 'test -n "$POD_IP"'], env: ipEnv }],
        containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'], env: ipEnv, volumeMounts: [{ name: 'info', mountPath: '/info' }, { name: 'proj', mountPath: '/proj' }] }],
      }),
    });
    assert.ok(status.podIP, 'pasta gave the pod an address');
    assert.equal(status.podIPs?.[0], status.podIP);
    assert.equal((await run(env, 'addr', ['sh', '-c', 'echo $POD_IP'])).out, `${status.podIP}\n`);
    assert.equal((await run(env, 'addr', ['sh', '-c', 'echo $POD_IPS'])).out, `${status.podIPs!.join(',')}\n`);
    assert.equal((await run(env, 'addr', ['cat', '/info/ip'])).out, status.podIP);
    assert.equal((await run(env, 'addr', ['cat', '/info/name'])).out, 'addr');
    assert.equal((await run(env, 'addr', ['cat', '/proj/ips'])).out, status.podIPs!.join(','));
    // The address is the pod's own, as its interface says.
    assert.ok((await run(env, 'addr', ['ip', '-o', 'addr'])).out.includes(` ${status.podIP}/`));
    assert.equal(container(status, 'init').state.terminated?.exitCode, 0, 'the init container saw its address too');
  });

  it('a hostNetwork pod reads the host address as status.podIP', async () => {
    const status = await env.runtime.runPod({
      manifest: podManifest('hostnet', {
        hostNetwork: true,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'], env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] }],
      }),
    });
    assert.ok(status.podIP);
    assert.equal((await run(env, 'hostnet', ['sh', '-c', 'echo $POD_IP'])).out, `${status.podIP}\n`);
  });

  it('containers that exit at once never finish before they started', async () => {
    const quick = (name: string) => ({ name, image: IMAGE, command: ['true'] });
    await env.runtime.runPod({
      manifest: podManifest('quick', {
        restartPolicy: 'Never',
        initContainers: [quick('i1'), quick('i2')],
        containers: [quick('a1'), quick('a2'), quick('a3'), quick('a4')],
      }),
    });
    const status = await until('the pod to complete', async () => {
      const s = await env.runtime.podStatus('quick');
      return s.phase === 'Succeeded' ? s : undefined;
    });
    for (const c of [...status.initContainerStatuses, ...status.containerStatuses]) {
      const t = c.state.terminated!;
      assert.ok(t.startedAt, `${c.name} has startedAt`);
      assert.ok(Date.parse(t.startedAt!) <= Date.parse(t.finishedAt), `${c.name}: startedAt ${t.startedAt} <= finishedAt ${t.finishedAt}`);
    }
  });

  it('exec of a missing or unrunnable command says so with 127 or 126; the command\'s own 255 and stderr pass through', async () => {
    await env.runtime.runPod({ manifest: podManifest('ex', { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'] }] }) });
    assert.deepEqual(await run(env, 'ex', ['nosuch']), { out: '', err: 'exec: "nosuch": executable file not found in $PATH\n', code: 127 });
    assert.deepEqual(await run(env, 'ex', ['/no/such/file']), { out: '', err: 'exec: "/no/such/file": stat /no/such/file: no such file or directory\n', code: 127 });
    assert.deepEqual(await run(env, 'ex', ['/etc/passwd']), { out: '', err: 'exec: "/etc/passwd": permission denied\n', code: 126 });
    assert.deepEqual(await run(env, 'ex', ['sh', '-c', 'echo out; echo level=error msg=\\"mine\\" >&2; exit 255']), { out: 'out\n', err: 'level=error msg="mine"\n', code: 255 });
    // With a terminal, the message is a terminal line.
    assert.deepEqual(await run(env, 'ex', ['nosuch'], { tty: true }), { out: 'exec: "nosuch": executable file not found in $PATH\r\n', err: '', code: 127 });
  });

  it('exec into a terminated container names its state and exit code (not "busy")', async () => {
    await env.runtime.runPod({
      manifest: podManifest('done', {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 1,
        containers: [
          { name: 'app', image: IMAGE, command: ['sleep', '1000'] },
          { name: 'short', image: IMAGE, command: ['sh', '-c', 'exit 3'] },
        ],
      }),
    });
    await until('short to exit', async () => container(await env.runtime.podStatus('done'), 'short').state.terminated);
    await assert.rejects(env.runtime.exec({ pod: 'done', container: 'short', command: ['true'], tty: false, stdin: false }), (e: PodError) => {
      assert.equal(e.code, 'NOT_RUNNING');
      assert.equal(e.details?.container, 'short');
      assert.match(e.message, /^container "short" of pod done is not running \(terminated: exit code 3, Error, at \d{4}-\d\d-\d\dT/);
      return true;
    });
  });

  it('a failing init container: the error and the Failed event carry its last output, bounded and cleaned', async () => {
    const rec = record(env);
    const script = 'for i in $(seq 1 30); do echo line $i; done; printf "\\033[31mred\\033[0m\\a bell\\n" >&2; exit 42';
    const manifest = podManifest('initlog', {
      initContainers: [{ name: 'boom', image: IMAGE, command: ['sh', '-c', script] }],
      containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'] }],
    });
    const expected = { container: 'boom', reason: 'Error', exitCode: 42, lastLines: [...Array.from({ length: 19 }, (_, i) => `line ${i + 12}`), 'red bell'] };
    await assert.rejects(env.runtime.runPod({ manifest }), (e: PodError) => {
      assert.equal(e.code, 'INIT_FAILED', 'the code programs branch on stays');
      assert.deepEqual(e.details?.failure, expected);
      return true;
    });
    rec.stop();
    const failed = rec.events.find((e) => e.type === 'pod' && e.pod === 'initlog' && e.phase === 'Failed');
    assert.ok(failed && failed.type === 'pod');
    assert.equal(failed.reason, 'Failed', "the kubelet's reason, not INIT_FAILED");
    assert.equal(failed.code, 'INIT_FAILED');
    assert.deepEqual(failed.failure, expected);
    assert.deepEqual(await env.runtime.listPods(), [], 'the pod is still removed');
  });

  it('evidence stays within 4 KiB', async () => {
    const manifest = podManifest('wide', {
      initContainers: [{ name: 'wide', image: IMAGE, command: ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do printf "%01000d\\n" $i; done; exit 1'] }],
      containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'] }],
    });
    await assert.rejects(env.runtime.runPod({ manifest }), (e: PodError) => {
      const lines = e.details?.failure?.lastLines ?? [];
      assert.equal(lines.length, 4, '4 lines of 1,001 bytes fit in 4 KiB');
      assert.ok(lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0) <= 4096);
      assert.equal(lines.at(-1), '0'.repeat(999) + '8');
      return true;
    });
  });

  it('a failing postStart hook: FailedPostStartHook event, and the error carries the container\'s output', async () => {
    const rec = record(env);
    const manifest = podManifest('hooked', {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'app', image: IMAGE, command: ['sh', '-c', 'echo app says hi; exec sleep 1000'], lifecycle: { postStart: { exec: { command: ['sh', '-c', 'sleep 0.5; echo hook out; exit 3'] } } } }],
    });
    await assert.rejects(env.runtime.runPod({ manifest }), (e: PodError) => {
      assert.equal(e.code, 'START_FAILED');
      assert.deepEqual(e.details?.failure, { container: 'app', reason: 'FailedPostStartHook', lastLines: ['app says hi'] });
      assert.match(e.message, /postStart hook failed \(FailedPostStartHook\): command exited with 3: hook out/);
      return true;
    });
    rec.stop();
    const hook = occurrences(rec.events, 'hooked').find((e) => e.reason === 'FailedPostStartHook');
    assert.ok(hook, 'a FailedPostStartHook event');
    assert.equal(hook.severity, 'Warning');
    assert.equal(hook.container, 'app');
    assert.match(hook.message, /PostStartHook of container app failed \(exec \["sh","-c","sleep 0.5; echo hook out; exit 3"\]\): command exited with 3: hook out/);
  });

  it('a container that cannot start: StartError evidence', async () => {
    await assert.rejects(env.runtime.runPod({ manifest: podManifest('nostart', { containers: [{ name: 'app', image: IMAGE, command: ['nosuch'] }] }) }), (e: PodError) => {
      assert.equal(e.code, 'START_FAILED');
      assert.deepEqual(e.details?.failure, { container: 'app', reason: 'StartError', lastLines: [] });
      assert.match(e.message, /executable file not found in \$PATH/);
      return true;
    });
  });

  it('probes: Unhealthy events, the ContainersNotReady message, Killing before a liveness restart; FailedPreStopHook on stop', async () => {
    const rec = record(env);
    await env.runtime.runPod({
      manifest: podManifest('probed', {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'never',
            image: IMAGE,
            command: ['sleep', '1000'],
            readinessProbe: { exec: { command: ['sh', '-c', 'echo not yet; exit 1'] }, periodSeconds: 1 },
            lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo cannot; exit 7'] } } },
          },
          { name: 'live', image: IMAGE, command: ['sleep', '1000'], livenessProbe: { exec: { command: ['false'] }, periodSeconds: 1, failureThreshold: 2 } },
        ],
      }),
    });
    await until('a liveness restart', async () => container(await env.runtime.podStatus('probed'), 'live').restartCount > 0, 20_000);
    // The readiness probe has failed several times by now: one Unhealthy event per failing streak.
    const status = await env.runtime.podStatus('probed');
    for (const type of ['ContainersReady', 'Ready']) {
      const c = status.conditions.find((x) => x.type === type);
      assert.deepEqual(c && { status: c.status, reason: c.reason, message: c.message }, { status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [never]' });
    }
    await env.runtime.stopPod({ pod: 'probed' });
    rec.stop();
    const seen = occurrences(rec.events, 'probed').map((e) => `${e.severity} ${e.reason} ${e.container}: ${e.message}`);
    const readiness = seen.filter((s) => s.startsWith('Warning Unhealthy never:'));
    assert.deepEqual(readiness, ['Warning Unhealthy never: Readiness probe failed: command exited with 1: not yet'], 'the same failure is reported once per streak');
    assert.ok(seen.includes('Warning Unhealthy live: Liveness probe failed: command exited with 1'), seen.join('\n'));
    const killing = seen.indexOf('Normal Killing live: Container live failed liveness probe, will be restarted');
    assert.ok(killing >= 0, seen.join('\n'));
    assert.ok(seen.indexOf('Normal Created live: Created container live', killing) > killing, 'created again after the kill');
    assert.ok(seen.includes('Normal Killing never: Stopping container never'), seen.join('\n'));
    assert.ok(seen.includes('Warning FailedPreStopHook never: PreStopHook of container never failed (exec ["sh","-c","echo cannot; exit 7"]): command exited with 7: cannot'), seen.join('\n'));
  });
});
