// Probes and hooks with real timing: readiness over HTTP (a named port, from inside the pod's network
// namespace), a failing liveness exec probe that gets the container restarted, a TCP startup probe that holds
// `started` back, and a postStart hook.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { container, IMAGE, nextEvent, podManifest, podTestEnv, text, until, whyNoNativePods, type PodTestEnv } from './fixtures';

const skip = whyNoNativePods();

describe('probes and hooks', { skip }, () => {
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

  it('readiness over httpGet turns the pod Ready once the server answers', async () => {
    const ready = nextEvent(env.runtime, (e) => e.type === 'container' && e.container === 'web' && e.state === 'running' && e.reason === undefined, 20_000);
    const status = await env.runtime.runPod({
      manifest: podManifest('ready', {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'web',
            image: IMAGE,
            ports: [{ name: 'http', containerPort: 8080 }],
            command: ['sh', '-c', 'sleep 1; mkdir -p /www; echo ok > /www/health; exec httpd -f -p 8080 -h /www'],
            readinessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 1, failureThreshold: 1 },
          },
        ],
      }),
    });
    assert.equal(container(status, 'web').ready, false, 'not ready before the probe passes');
    assert.equal(status.conditions.find((c) => c.type === 'Ready')?.status, 'False');
    await ready;
    const s = await until('readiness', async () => {
      const x = await env.runtime.podStatus('ready');
      return container(x, 'web').ready ? x : undefined;
    });
    assert.equal(s.conditions.find((c) => c.type === 'Ready')?.status, 'True');
    assert.equal(s.conditions.find((c) => c.type === 'ContainersReady')?.status, 'True');
    await env.runtime.deletePod({ pod: 'ready' });
  });

  it('a failing liveness probe gets the container killed and restarted', async () => {
    await env.runtime.runPod({
      manifest: podManifest('live', {
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'app',
            image: IMAGE,
            command: ['sh', '-c', 'touch /tmp/healthy; sleep 1; rm /tmp/healthy; exec sleep 1000'],
            livenessProbe: { exec: { command: ['test', '-f', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 2 },
          },
        ],
      }),
    });
    const s = await until(
      'a restart after the liveness failures',
      async () => {
        const x = await env.runtime.podStatus('live');
        return container(x, 'app').restartCount >= 1 ? x : undefined;
      },
      20_000,
    );
    const last = container(s, 'app').lastState.terminated!;
    assert.equal(last.exitCode, 137, 'sleep ignores SIGTERM as pid 1: SIGKILL after the grace period');
    assert.match(last.message ?? '', /^Liveness probe failed: command exited with 1/);
    await env.runtime.deletePod({ pod: 'live', force: true });
  });

  it('a startup probe over tcpSocket holds started back; postStart runs before run_pod returns', async () => {
    const status = await env.runtime.runPod({
      manifest: podManifest('slow', {
        terminationGracePeriodSeconds: 1,
        volumes: [{ name: 'v', emptyDir: {} }],
        containers: [
          {
            name: 'app',
            image: IMAGE,
            command: ['sh', '-c', 'sleep 1; exec nc -ll -p 9000 -e true'],
            volumeMounts: [{ name: 'v', mountPath: '/v' }],
            startupProbe: { tcpSocket: { port: 9000 }, periodSeconds: 1, failureThreshold: 10 },
            lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo poststart > /v/hook'] } } },
          },
        ],
      }),
    });
    assert.equal(container(status, 'app').started, false);
    assert.equal(container(status, 'app').ready, false);
    const ex = await env.runtime.exec({ pod: 'slow', command: ['cat', '/v/hook'], tty: false, stdin: false });
    assert.equal(await text(ex.stdout), 'poststart\n');
    const s = await until('the startup probe to pass', async () => {
      const x = await env.runtime.podStatus('slow');
      return container(x, 'app').started ? x : undefined;
    });
    assert.equal(container(s, 'app').ready, true, 'no readiness probe: ready once started');
    await env.runtime.deletePod({ pod: 'slow', force: true });
  });

  it('a failing postStart hook fails run_pod atomically', async () => {
    await assert.rejects(
      env.runtime.runPod({
        manifest: podManifest('badhook', { containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'], lifecycle: { postStart: { exec: { command: ['false'] } } } }] }),
      }),
      /container "app": postStart hook failed/,
    );
  });
});
