// The built-in default image (podsmith.local/busybox:1): made from the host's busybox-static, the same digest
// on every build, loaded on first use by run_pod without any registry, and never pulled.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_IMAGE, buildBusyboxLayout, ensureBuiltinImage, isBuiltinImage } from '../../engine/image/builtin';
import { openStore } from '../../engine/image/store';
import { main } from '../../engine/cli/main';
import { createNativeRuntime } from '../../engine/pods/native';
import { LeakTracker } from '../support/leaks';
import { podManifest, text, whyNoNativePods } from './fixtures';

const dirs: string[] = [];
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the built-in image', () => {
  it('names only podsmith.local/busybox:1', () => {
    assert.equal(isBuiltinImage(BUILTIN_IMAGE), true);
    assert.equal(isBuiltinImage('podsmith.local/busybox:1'), true);
    assert.equal(isBuiltinImage('podsmith.local/busybox:2'), false);
    assert.equal(isBuiltinImage('busybox:1'), false);
    assert.equal(isBuiltinImage('not a reference'), false);
  });

  it('is reproducible: two builds give the same manifest digest', { skip: whyNoNativePods() }, async () => {
    const digestOf = async (dir: string) => (JSON.parse(readFileSync(join(await buildBusyboxLayout(dir), 'index.json'), 'utf8')) as { manifests: { digest: string }[] }).manifests[0].digest;
    assert.equal(await digestOf(temp('bb-a-')), await digestOf(temp('bb-b-')));
  });

  it('is loaded once into a store and found there afterwards', { skip: whyNoNativePods() }, async () => {
    const store = await openStore(temp('bb-home-'));
    assert.equal(await store.resolveImage(BUILTIN_IMAGE), undefined);
    const first = await ensureBuiltinImage(store);
    assert.match(first, /^sha256:[0-9a-f]{64}$/);
    assert.equal(await store.resolveImage(BUILTIN_IMAGE), first);
    assert.equal(await ensureBuiltinImage(store), first);
  });

  it('`podsmith pull` makes it instead of asking a registry', { skip: whyNoNativePods() }, async () => {
    const home = temp('bb-pull-');
    const saved = process.env.PODSMITH_HOME;
    process.env.PODSMITH_HOME = home;
    try {
      let out = '';
      const code = await main(['pull', BUILTIN_IMAGE], { out: (s) => void (out += s), err: (s) => void (out += s) });
      assert.equal(code, 0, out);
      assert.match(out, /^Built podsmith\.local\/busybox:1 from this host's busybox \(sha256:[0-9a-f]{64}\)\n$/);
      assert.ok(await (await openStore(home)).resolveImage(BUILTIN_IMAGE));
    } finally {
      if (saved === undefined) delete process.env.PODSMITH_HOME;
      else process.env.PODSMITH_HOME = saved;
    }
  });

  it('runs a pod in a fresh home with no registry and no load', { skip: whyNoNativePods() }, async () => {
    const home = temp('bb-pod-');
    const runtime = createNativeRuntime({ home });
    const leaks = new LeakTracker(home);
    leaks.track(runtime);
    try {
      const manifest = podManifest('builtin', { restartPolicy: 'Never', containers: [{ name: 'c', image: BUILTIN_IMAGE, command: ['sh', '-c', 'echo built in; ls /bin/wget'] }] });
      const status = await runtime.runPod({ manifest });
      assert.equal(status.containerStatuses[0].image, BUILTIN_IMAGE);
      const logs = await text(await runtime.logs({ pod: 'builtin', follow: true }));
      assert.equal(logs, 'built in\n/bin/wget\n');
      await runtime.deletePod({ pod: 'builtin', force: true });
      assert.deepEqual(await leaks.check(), []);
    } finally {
      await runtime.close();
      leaks.dispose();
    }
  });
});
