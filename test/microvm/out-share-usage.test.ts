// The bound on what a microVM guest may keep on its out share, without a VM: the cap's arithmetic, the
// measurement (real `du` on real files), the pruning of old instances' logs, and an eviction that a killed
// daemon left half done being finished by the next one's reconcile.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ROTATION } from '../../engine/logs';
import { createMicrovmRuntime } from '../../engine/pods/microvm';
import {
  checkOutShare,
  DEFAULT_VM_DISK_EMPTYDIR_BYTES,
  logAllowance,
  OUT_SHARE_OVERHEAD_BYTES,
  outShareLimits,
  vmPodPaths,
} from '../../engine/pods/microvm/out-share-usage';
import { writeVmPod, type VmPodRecord } from '../../engine/pods/microvm/records';
import type { PodObject } from '../../engine/pods/native/pod-spec';
import type { PodEvent } from '../../engine/pods/types';

const MiB = 1024 * 1024;
const homes: string[] = [];

function home(): string {
  const h = mkdtempSync(join(tmpdir(), 'podsmith-vm-usage-'));
  homes.push(h);
  return h;
}

function podObject(volumes: unknown[], containers = ['app']): PodObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { runtimeClassName: 'pod-microvm', volumes, containers: containers.map((name) => ({ name, image: 'x' })) },
  } as unknown as PodObject;
}

function record(uid: string, pod: PodObject, more: Partial<VmPodRecord> = {}): VmPodRecord {
  return {
    version: 1,
    uid,
    name: pod.metadata.name,
    namespace: 'default',
    createdAt: new Date().toISOString(),
    lifecycle: 'running',
    hostname: pod.metadata.name,
    pod,
    containers: pod.spec.containers.map((c) => ({ name: c.name, kind: 'app' as const, image: 'x' })),
    network: 'none',
    warnings: [],
    ...more,
  };
}

function fill(path: string, bytes: number): void {
  mkdirSync(join(path, '..'), { recursive: true });
  // Real data: du counts allocated blocks.
  writeFileSync(path, Buffer.alloc(bytes, 1));
}

after(() => {
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

describe('microVM out share limits', () => {
  it('caps the share at the disk emptyDirs\' budgets, each container\'s log allowance and a fixed overhead', () => {
    const pod = podObject(
      [
        { name: 'sized', emptyDir: { sizeLimit: '2Mi' } },
        { name: 'unsized', emptyDir: {} },
        { name: 'ram', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
        { name: 'cfg', configMap: { name: 'c' } },
      ],
      ['init', 'app'],
    );
    const h = home();
    const paths = vmPodPaths(h, record(randomUUID(), pod));
    const limits = outShareLimits(pod, ['init', 'app'], paths);
    assert.equal(limits.bytes, OUT_SHARE_OVERHEAD_BYTES + 2 * logAllowance() + 2 * MiB + DEFAULT_VM_DISK_EMPTYDIR_BYTES);
    assert.deepEqual(
      limits.volumes.map((v) => [v.volume, v.dir, v.bytes]),
      [['sized', join(paths.out, 'volumes', 'sized'), 2 * MiB]],
    );
    assert.equal(limits.dir, paths.out);
    // Two instances of fully rotated logs and one more file of rotation lag, per container.
    assert.equal(logAllowance(), (2 * DEFAULT_ROTATION.maxFiles + 1) * DEFAULT_ROTATION.maxBytes);
    assert.equal(logAllowance({ maxBytes: MiB, maxFiles: 2 }), 5 * MiB);
  });

  it('finds a disk emptyDir past its sizeLimit (the kubelet\'s message), then the share past its cap', async () => {
    const h = home();
    const pod = podObject([{ name: 'data', emptyDir: { sizeLimit: '2Mi' } }], []);
    const paths = vmPodPaths(h, record(randomUUID(), pod));
    const limits = outShareLimits(pod, [], paths);
    mkdirSync(join(paths.out, 'volumes', 'data'), { recursive: true });
    assert.equal(await checkOutShare(limits), undefined);
    fill(join(paths.out, 'volumes', 'data', 'a'), MiB);
    assert.equal(await checkOutShare(limits), undefined, 'under both limits');
    fill(join(paths.out, 'volumes', 'data', 'b'), 2 * MiB);
    assert.equal(await checkOutShare(limits), 'Usage of EmptyDir volume "data" exceeds the limit "2Mi".');
    rmSync(join(paths.out, 'volumes', 'data', 'b'));
    // Written outside any volume (a guest writing where no container should): only the cap sees it.
    fill(join(paths.out, 'junk'), limits.bytes - MiB);
    assert.equal(limits.bytes, 6 * MiB);
    assert.equal(await checkOutShare(limits), 'Usage of the pod\'s writable VM share (disk emptyDirs, container logs, status) exceeds its limit "6Mi".');
  });

  it('deletes the logs of instances before the previous one, so restarts never reach the cap', async () => {
    const h = home();
    const pod = podObject([], ['app']);
    const paths = vmPodPaths(h, record(randomUUID(), pod));
    const logs = join(paths.out, 'logs', 'app');
    // Six instances with 15 MiB of log each (90 MiB): over the cap, unless the old ones go.
    for (let i = 0; i < 6; i++) fill(join(logs, `${i}.log`), DEFAULT_ROTATION.maxBytes * 1.5);
    for (const name of ['1.log.1', '5.log.1', '5.log.2']) fill(join(logs, name), 4096);
    // What 9p's mapped-file model keeps beside each file the guest made.
    for (const name of ['0.log', '1.log.1', '5.log', 'other']) fill(join(logs, '.virtfs_metadata', name), 100);
    const limits = outShareLimits(pod, ['app'], paths);
    assert.ok(6 * DEFAULT_ROTATION.maxBytes * 1.5 > limits.bytes);
    assert.equal(await checkOutShare(limits), undefined);
    assert.deepEqual(readdirSync(logs).sort(), ['.virtfs_metadata', '4.log', '5.log', '5.log.1', '5.log.2']);
    assert.deepEqual(readdirSync(join(logs, '.virtfs_metadata')).sort(), ['5.log', 'other']);
  });

  it('an eviction cut short by a killed daemon (VM gone, not recorded) is finished by the next daemon: Evicted, volumes emptied', async () => {
    const h = home();
    const pod = podObject([{ name: 'data', emptyDir: { sizeLimit: '1Mi' } }, { name: 'other', emptyDir: {} }]);
    // A process that has ended stands for the killed QEMU.
    const gone = spawnSync('true').pid!;
    const message = 'Usage of EmptyDir volume "data" exceeds the limit "1Mi".';
    const uid = randomUUID();
    const rec = record(uid, pod, { vm: { pid: gone, startTime: '1', accel: 'tcg', vcpus: 1, memoryMiB: 512, kernel: 'k' }, evicting: { message } });
    const paths = vmPodPaths(h, rec);
    mkdirSync(paths.dir, { recursive: true });
    fill(join(paths.volume('data'), 'fill'), 2 * MiB);
    fill(join(paths.volume('other'), 'sub', 'f'), 4096);
    fill(join(paths.out, 'logs', 'app', '0.log'), 100);
    await writeVmPod(h, rec);
    const rt = createMicrovmRuntime({ home: h, templates: false, fetchKernel: false });
    const events: PodEvent[] = [];
    rt.watch((e) => events.push(e));
    try {
      await rt.reconcile();
      const status = await rt.podStatus(uid);
      assert.equal(status.phase, 'Failed');
      assert.equal(status.reason, 'Evicted');
      assert.equal(status.message, message);
      assert.ok(events.some((e) => e.type === 'pod' && e.reason === 'Evicted' && e.message === message && e.phase === 'Failed'), JSON.stringify(events));
      assert.deepEqual(readdirSync(paths.volume('data')), []);
      assert.deepEqual(readdirSync(paths.volume('other')), []);
      assert.ok(existsSync(join(paths.out, 'logs', 'app', '0.log')), 'logs are kept, as for any failed pod');
      // A later daemon finds it evicted still.
      const again = createMicrovmRuntime({ home: h, templates: false, fetchKernel: false });
      await again.reconcile();
      assert.equal((await again.podStatus(uid)).reason, 'Evicted');
      await again.close();
      await rt.deletePod({ pod: uid });
      assert.ok(!existsSync(paths.dir));
    } finally {
      await rt.close();
    }
  });
});
