// `podsmith run` on workloads, on the real pod-containers runtime: a Deployment and a CronJob each run their
// pod template as one pod named after the workload (labels and annotations from the template, ConfigMaps from
// the same file), a Job's pod runs to completion, and the pods are ordinary pods for ps, describe and rm.
// Skipped where native pods cannot run (not root, runc or conmon missing).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectDaemon } from '../../engine/client/connect';
import type { DaemonClient } from '../../engine/client/daemon-client';
import { whyNoNativePods } from '../pods/fixtures';
import { LeakTracker } from '../support/leaks';
import { cleanupHome, daemonPid, makeHome, runMain, waitFor } from './support/harness';
import { alive } from './support/process-runtime';

const skip = whyNoNativePods();
const IMAGE = 'podsmith.local/busybox:1';
let home: string;
let watcher: DaemonClient | undefined;
let leaks: LeakTracker;
const savedHome = process.env.PODSMITH_HOME;

const WORKLOADS = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  greeting: hello from the configmap
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-deploy
  labels:
    owner: workload-only
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
      annotations:
        example.com/note: from the template
    spec:
      containers:
        - name: app
          image: ${IMAGE}
          command: ["sh", "-c", "echo $GREETING; echo app=$APP owner=$OWNER note=$NOTE; while true; do sleep 1; done"]
          env:
            - name: APP
              valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } }
            - name: OWNER
              valueFrom: { fieldRef: { fieldPath: "metadata.labels['owner']" } }
            - name: NOTE
              valueFrom: { fieldRef: { fieldPath: "metadata.annotations['example.com/note']" } }
            - name: GREETING
              valueFrom:
                configMapKeyRef:
                  name: settings
                  key: greeting
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        metadata:
          labels:
            job: nightly
        spec:
          restartPolicy: Never
          containers:
            - name: task
              image: ${IMAGE}
              command: ["sh", "-c", "echo nightly ran"]
`;

interface KubePod {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  status: { phase: string };
}

async function pods(): Promise<KubePod[]> {
  const r = await runMain(['ps', '-a', '-o', 'json']);
  assert.equal(r.code, 0, r.err);
  return (JSON.parse(r.out) as { items: KubePod[] }).items;
}

describe('podsmith run on workloads (real pod-containers runtime)', { skip }, () => {
  before(async () => {
    home = makeHome();
    process.env.PODSMITH_HOME = home;
    writeFileSync(join(home, 'workloads.yaml'), WORKLOADS);
    leaks = new LeakTracker(home);
    // A watcher from the start (starting the daemon) so every pod uid is known to the leak check.
    watcher = await connectDaemon({ home });
    await watcher.subscribe({}, (e) => e.type !== 'pull' && leaks.uids.add(e.uid));
  });

  after(async () => {
    if (home === undefined) return;
    for (const p of (await watcher?.listPods().catch(() => [])) ?? []) await watcher!.deletePod({ pod: p.uid, force: true }).catch(() => {});
    watcher?.close();
    const pid = daemonPid(home);
    await runMain(['daemon', 'stop']);
    if (pid) await waitFor('the daemon to exit', () => !alive(pid));
    const left = await leaks.check();
    if (savedHome === undefined) delete process.env.PODSMITH_HOME;
    else process.env.PODSMITH_HOME = savedHome;
    assert.deepEqual([...left, ...(await cleanupHome(home)).map((p) => `process ${p}`)], []);
  });

  it('runs each workload of a file as one pod named after it', async () => {
    const r = await runMain(['run', '-q', '-f', join(home, 'workloads.yaml')]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^pod\/web-deploy Running\npod\/nightly (Running|Succeeded)\n$/);
    const list = await pods();
    assert.deepEqual(list.map((p) => p.metadata.name).sort(), ['nightly', 'web-deploy'], 'one pod per workload, whatever replicas says');
  });

  it('gives the pod the template\'s labels and annotations and the file\'s ConfigMaps', async () => {
    // The pod sees its own labels and annotations through the downward API, as the kubelet gives them.
    let log = '';
    await waitFor('the pod\'s first lines', async () => (log = (await runMain(['logs', 'web-deploy'])).out).includes('note='));
    assert.equal(log, 'hello from the configmap\napp=web owner= note=from the template\n', 'template labels and annotations; the workload\'s own labels stay on the workload');
  });

  it('runs a CronJob\'s job template to completion', async () => {
    await waitFor('nightly to succeed', async () => (await pods()).find((p) => p.metadata.name === 'nightly')?.status.phase === 'Succeeded');
    assert.equal((await runMain(['logs', 'nightly'])).out, 'nightly ran\n');
  });

  it('refuses to run a workload twice, like a pod', async () => {
    const again = await runMain(['run', '-q', '-f', join(home, 'workloads.yaml')]);
    assert.equal(again.code, 1);
    assert.match(again.err, /pod default\/web-deploy already exists/);
  });

  it('deletes the workload pods like any pod', async () => {
    const r = await runMain(['rm', '-f', 'web-deploy', 'nightly']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(await pods(), []);
  });
});
