// Seccomp on the real engine (runc built with libseccomp): the RuntimeDefault filter blocks user-namespace
// creation (which needs no capability, so only the filter stops it) with EPERM; Unconfined and privileged
// containers run without a filter; a Localhost profile from $PODSMITH_HOME/seccomp/ is applied; the container's
// setting wins over the pod's; a bad Localhost path fails the pod with a clear error and leaves nothing behind.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PodError } from '../../engine/pods/types';
import { IMAGE, podManifest, podTestEnv, text, whyNoNativePods, type PodTestEnv } from './fixtures';

const skip = whyNoNativePods();

describe('seccomp on native containers', { skip }, () => {
  let env: PodTestEnv;
  before(async () => {
    env = await podTestEnv();
    mkdirSync(join(env.home, 'seccomp', 'profiles'), { recursive: true });
    // Allows everything but mkdir, which fails with EACCES (13): visibly not the default profile.
    writeFileSync(
      join(env.home, 'seccomp', 'profiles', 'deny-mkdir.json'),
      JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }),
    );
  });
  afterEach(async () => {
    assert.deepEqual(await env.cleanup(), []);
  });
  after(async () => {
    await env?.dispose();
  });

  async function run(pod: string, container: string, script: string): Promise<{ out: string; err: string; code: number }> {
    const ex = await env.runtime.exec({ pod, container, command: ['sh', '-c', script], tty: false, stdin: false });
    const [out, err, code] = await Promise.all([text(ex.stdout), text(ex.stderr), ex.exit]);
    return { out, err, code };
  }
  /** The seccomp mode of the container's own process (pid 1 of its pid namespace): 2 is filtered, 0 is none. */
  const mode = async (pod: string, container: string) => (await run(pod, container, "sed -n 's/^Seccomp:[[:space:]]*//p' /proc/1/status")).out.trim();

  it('RuntimeDefault blocks user namespaces with EPERM; Unconfined, privileged and Localhost get what they ask for', async () => {
    const sleep = ['sleep', '1000'];
    const manifest = podManifest('filters', {
      terminationGracePeriodSeconds: 1,
      // The pod says Unconfined: containers without a setting of their own inherit it, the others override it.
      securityContext: { seccompProfile: { type: 'Unconfined' } },
      containers: [
        { name: 'default', image: IMAGE, command: sleep, securityContext: { seccompProfile: { type: 'RuntimeDefault' } } },
        { name: 'inherits', image: IMAGE, command: sleep },
        { name: 'privileged', image: IMAGE, command: sleep, securityContext: { privileged: true, seccompProfile: { type: 'RuntimeDefault' } } },
        { name: 'localhost', image: IMAGE, command: sleep, securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/deny-mkdir.json' } } },
      ],
    });
    const status = await env.runtime.runPod({ manifest, fileName: 'filters.yaml' });
    assert.equal(status.phase, 'Running');

    const blocked = await run('filters', 'default', 'unshare -U true');
    assert.notEqual(blocked.code, 0);
    assert.match(blocked.err, /unshare\(0x10000000\): Operation not permitted/);
    assert.equal(await mode('filters', 'default'), '2', 'the container process itself is filtered');
    // Ordinary work still runs under the filter: files, a subshell (clone without namespace flags), sockets.
    const ordinary = await run('filters', 'default', 'mkdir /tmp/d && echo x > /tmp/d/f && cat /tmp/d/f && (echo sub) && nc 127.0.0.1 1 </dev/null 2>&1; true');
    assert.equal(ordinary.code, 0, ordinary.err);
    assert.match(ordinary.out, /^x\nsub\n.*refused/s, 'connect(2) reaches the network stack');

    const free = await run('filters', 'inherits', 'unshare -U true && echo created');
    assert.deepEqual([free.code, free.out.trim()], [0, 'created'], free.err);
    assert.equal(await mode('filters', 'inherits'), '0');

    assert.equal(await mode('filters', 'privileged'), '0', 'privileged runs unconfined, as in Kubernetes');
    const priv = await run('filters', 'privileged', 'unshare -U true && echo created');
    assert.equal(priv.out.trim(), 'created', priv.err);

    assert.equal(await mode('filters', 'localhost'), '2');
    const denied = await run('filters', 'localhost', 'mkdir /tmp/nope');
    assert.notEqual(denied.code, 0);
    assert.match(denied.err, /Permission denied/);
    const allowed = await run('filters', 'localhost', 'unshare -U true && echo created');
    assert.equal(allowed.out.trim(), 'created', 'the Localhost profile replaces the default one');
  });

  it('a Localhost path that leaves $PODSMITH_HOME/seccomp or names no file fails the pod clearly and leaves no pod', async () => {
    writeFileSync(join(env.home, 'outside.json'), JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW' }));
    for (const [profile, expected] of [
      ['../outside.json', /container "app": seccomp localhostProfile "\.\.\/outside\.json" must be a path relative to .*\/seccomp without "\.\."/],
      ['profiles/missing.json', /container "app": seccomp localhostProfile "profiles\/missing\.json": no such file .*\/seccomp\/profiles\/missing\.json/],
    ] as const) {
      const manifest = podManifest('badprofile', {
        containers: [
          { name: 'ok', image: IMAGE, command: ['sleep', '1000'] },
          { name: 'app', image: IMAGE, command: ['sleep', '1000'], securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: profile } } },
        ],
      });
      await assert.rejects(env.runtime.runPod({ manifest, fileName: 'bad.yaml' }), (e: unknown) => {
        assert.ok(e instanceof PodError, String(e));
        assert.match(e.message, expected);
        return true;
      });
      assert.deepEqual(await env.runtime.listPods(), [], 'no pod is left');
      assert.deepEqual(await env.leaks.check(), []);
    }
  });
});
