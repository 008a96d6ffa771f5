// subPath mounts against the symlink-swap attack (CVE-2017-1002101): a container that replaces the subPath
// directory of an emptyDir with a symlink to `/` must not get the host's root bind-mounted into its next
// start. Every start resolves the subPath again, beneath the volume and without following symlinks, and
// bind-mounts what it opened; a subPath that now leads out of its volume fails that start with a clear error.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PodPaths } from '../../engine/pods/native';
import { mountsUnder } from '../../engine/pods/native/host-mounts';
import { PodError, type PodEvent } from '../../engine/pods/types';
import { container, IMAGE, nextEvent, podManifest, podTestEnv, text, until, whyNoNativePods, type PodTestEnv } from './fixtures';

const skip = whyNoNativePods();

describe('subPath mounts', { skip }, () => {
  let env: PodTestEnv;
  let canaryDir: string;
  let canary: string;
  const token = randomBytes(8).toString('hex');
  before(async () => {
    env = await podTestEnv();
    canaryDir = mkdtempSync(join(tmpdir(), 'podsmith-canary-'));
    canary = join(canaryDir, 'CANARY');
    writeFileSync(canary, `${token}\n`);
  });
  afterEach(async () => {
    assert.deepEqual(await env.cleanup(), []);
  });
  after(async () => {
    await env?.dispose();
    rmSync(canaryDir, { recursive: true, force: true });
  });

  for (const restartPolicy of ['OnFailure', 'Always'] as const) {
    it(`a container that swaps its subPath for a symlink to / does not get the host root on restart (${restartPolicy})`, async () => {
      const name = `swap-${restartPolicy.toLowerCase()}`;
      // First start: swap the subPath directory for a symlink to the host's / and exit. A later start that
      // runs reports whether the host's canary file shows through the subPath mount.
      const script = [
        'if [ -e /all/swapped ]; then',
        `  if [ -e /data${canary} ]; then echo "HOST-ROOT-VISIBLE $(cat /data${canary})"; else echo host-not-visible; fi`,
        '  exec sleep 1000',
        'fi',
        'touch /all/swapped && mv /all/sub /all/was-sub && ln -s / /all/sub && echo swapped',
        'exit 1',
      ].join('\n');
      const refused = nextEvent(env.runtime, (e) => e.type === 'container' && e.container === 'app' && e.reason === 'StartError', 30_000).catch(() => undefined);
      await env.runtime.runPod({
        manifest: podManifest(name, {
          restartPolicy,
          terminationGracePeriodSeconds: 0,
          volumes: [{ name: 'scratch', emptyDir: {} }],
          containers: [
            {
              name: 'app',
              image: IMAGE,
              command: ['sh', '-c', script],
              volumeMounts: [
                { name: 'scratch', mountPath: '/all' },
                { name: 'scratch', mountPath: '/data', subPath: 'sub' },
              ],
            },
          ],
        }),
      });
      // Either the restart is refused, or (the vulnerability) the second instance runs: then look at what it sees.
      const status = await until('the restart to be refused or to run', async () => {
        const s = await env.runtime.podStatus(name);
        const c = container(s, 'app');
        return c.restartCount >= 1 && (c.state.running || c.lastState.terminated?.reason === 'StartError') ? s : undefined;
      }, 30_000);
      const c = container(status, 'app');
      if (c.state.running) {
        const ex = await env.runtime.exec({ pod: name, command: ['cat', `/data${canary}`], tty: false, stdin: false });
        const [seen, code] = await Promise.all([text(ex.stdout), ex.exit]);
        assert.fail(`the restarted container ran with the swapped subPath mounted (cat /data${canary}: exit ${code}, "${seen.trim()}")`);
      }
      const event = (await refused) as Extract<PodEvent, { type: 'container' }> | undefined;
      assert.ok(event, 'a StartError event for the container');
      assert.match(event.message ?? '', /subPath "sub" of volume "scratch" leads out of the volume/);
      assert.equal(c.lastState.terminated?.exitCode, 128);
      assert.match(c.lastState.terminated?.message ?? '', /container "app": subPath "sub" of volume "scratch" leads out of the volume/);
      assert.equal(c.state.waiting?.reason, 'CrashLoopBackOff');
      const logs = await text(await env.runtime.logs({ pod: name }));
      assert.ok(!logs.includes(token), `the host canary leaked into the container: ${logs}`);
      assert.equal(readFileSync(canary, 'utf8'), `${token}\n`, 'the host canary is untouched');
      await env.runtime.deletePod({ pod: name, force: true });
    });
  }

  it('a subPath that is a symlink inside its volume still works, and each restart mounts it afresh', async () => {
    // The first instance points the subPath at another directory of the same volume, as a user may.
    const script = [
      'if [ -e /all/moved ]; then cat /data/which; exec sleep 1000; fi',
      'mkdir -p /all/other && echo other > /all/other/which && echo first > /data/which',
      'rm -rf /all/sub && ln -s other /all/sub && touch /all/moved',
      'exit 1',
    ].join('\n');
    await env.runtime.runPod({
      manifest: podManifest('inside', {
        restartPolicy: 'OnFailure',
        terminationGracePeriodSeconds: 0,
        volumes: [{ name: 'scratch', emptyDir: {} }],
        containers: [
          {
            name: 'app',
            image: IMAGE,
            command: ['sh', '-c', script],
            volumeMounts: [
              { name: 'scratch', mountPath: '/all' },
              { name: 'scratch', mountPath: '/data', subPath: 'sub' },
            ],
          },
        ],
      }),
    });
    const status = await until('the restarted container to run', async () => {
      const s = await env.runtime.podStatus('inside');
      return container(s, 'app').restartCount === 1 && container(s, 'app').state.running ? s : undefined;
    });
    const out = await env.runtime.exec({ pod: 'inside', command: ['cat', '/data/which'], tty: false, stdin: false });
    assert.equal((await text(out.stdout)).trim(), 'other', 'the restart mounts what the subPath names now');
    const privateMounts = await mountsUnder(new PodPaths(env.home, status.uid).subPaths('app'));
    assert.equal(privateMounts.length, 1, `the first start's private mount is gone: ${privateMounts.join(', ')}`);
    await env.runtime.deletePod({ pod: 'inside', force: true });
  });

  it('a subPath of a configMap file is mounted as that file; one leading out of a hostPath fails run_pod', async () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { 'app.conf': 'color=blue\n' } };
    await env.runtime.runPod({
      manifest: podManifest(
        'file',
        {
          terminationGracePeriodSeconds: 0,
          volumes: [{ name: 'conf', configMap: { name: 'settings' } }],
          containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'], volumeMounts: [{ name: 'conf', mountPath: '/etc/app.conf', subPath: 'app.conf' }] }],
        },
        [configMap],
      ),
    });
    const ex = await env.runtime.exec({ pod: 'file', command: ['sh', '-c', 'cat /etc/app.conf; echo x > /etc/app.conf 2>/dev/null || echo read-only'], tty: false, stdin: false });
    assert.equal(await text(ex.stdout), 'color=blue\nread-only\n');
    await env.runtime.deletePod({ pod: 'file', force: true });

    // A hostPath directory whose subPath is a symlink to the host's /etc: refused before anything runs.
    const host = join(canaryDir, 'host');
    mkdirSync(host, { recursive: true });
    symlinkSync('/etc', join(host, 'etc'));
    await assert.rejects(
      env.runtime.runPod({
        manifest: podManifest('escape', {
          volumes: [{ name: 'h', hostPath: { path: host } }],
          containers: [{ name: 'app', image: IMAGE, command: ['true'], volumeMounts: [{ name: 'h', mountPath: '/x', subPath: 'etc' }] }],
        }),
      }),
      (e: PodError) => e.code === 'START_FAILED' && e.message === 'container "app": subPath "etc" of volume "h" leads out of the volume (to /etc); it is not mounted',
    );
    assert.deepEqual(await env.runtime.listPods(), []);
  });
});
