// Images from a registry: run_pod pulls what the store lacks (in parallel, with progress events), uses what
// it has for IfNotPresent, and fails atomically with IMAGE naming the container when a pull fails. The
// registry is a real docker-registry on loopback; the image is built locally from busybox-static.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PodError } from '../../engine/pods/types';
import { createTestImages, pushTestImage, type TestImages } from '../support/images';
import { startRegistry, type TestRegistry } from '../support/registry';
import { container, podManifest, podTestEnv, text, until, whyNoNativePods, type PodTestEnv } from './fixtures';

const skip = whyNoNativePods() ?? (spawnSync('sh', ['-c', 'command -v docker-registry && command -v skopeo']).status !== 0 ? 'docker-registry and skopeo are needed (apt-get install docker-registry skopeo)' : undefined);

describe('pulling images for a pod', { skip }, () => {
  let env: PodTestEnv;
  let registry: TestRegistry;
  let images: TestImages;
  before(async () => {
    registry = await startRegistry();
    images = await createTestImages();
    await pushTestImage(await images.busybox(), registry, 'tools/busybox:1');
    env = await podTestEnv({ pull: { insecure: [registry.host] } });
  });
  afterEach(async () => {
    assert.deepEqual(await env.cleanup(), []);
  });
  after(async () => {
    await env?.dispose();
    images?.dispose();
    await registry?.stop();
  });

  it('pulls a missing image with progress events, then reuses it', async () => {
    const image = `${registry.host}/tools/busybox:1`;
    const pulls: string[] = [];
    const status = await env.runtime.runPod(
      { manifest: podManifest('pulled', { restartPolicy: 'Never', containers: [{ name: 'a', image, command: ['sh', '-c', 'echo pulled and ran'] }, { name: 'b', image, command: ['true'] }] }) },
      (e) => {
        if (e.type === 'pull') pulls.push(e.progress.type);
      },
    );
    assert.ok(pulls.includes('resolve') && pulls.includes('done'), `progress events: ${pulls.join(',')}`);
    assert.equal(pulls.filter((p) => p === 'done').length, 1, 'one pull for the two containers');
    await until('the pod to finish', async () => (await env.runtime.podStatus('pulled')).phase === 'Succeeded');
    assert.equal(await text(await env.runtime.logs({ pod: 'pulled', container: 'a' })), 'pulled and ran\n');
    assert.equal(container(status, 'a').imageID, container(status, 'b').imageID);
    await env.runtime.deletePod({ pod: 'pulled' });

    const again: string[] = [];
    await env.runtime.runPod({ manifest: podManifest('reused', { restartPolicy: 'Never', containers: [{ name: 'a', image, command: ['true'] }] }) }, (e) => {
      if (e.type === 'pull') again.push(e.progress.type);
    });
    assert.deepEqual(again, [], 'IfNotPresent: no registry traffic for a stored image');
    await env.runtime.deletePod({ pod: 'reused', force: true });
  });

  it('a failed pull fails run_pod with IMAGE, naming the container', async () => {
    await assert.rejects(
      env.runtime.runPod({ manifest: podManifest('nopull', { containers: [{ name: 'ghost', image: `${registry.host}/tools/absent:1`, command: ['true'] }] }) }),
      (e: PodError) => {
        assert.equal(e.code, 'IMAGE');
        assert.equal(e.details?.container, 'ghost');
        assert.match(e.message, /container "ghost": image .*absent:1: pull failed \(ErrImagePull\)/);
        return true;
      },
    );
    assert.deepEqual(await env.runtime.listPods(), []);
  });
});
