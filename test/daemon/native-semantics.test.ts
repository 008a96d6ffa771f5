// What the user sees of issue 9's semantics through the CLI and the real daemon (pod-containers): exec of a
// missing command (127 and a clear message), exec into a terminated container (1, its state, no "busy"),
// a failed `run` printing the failing container's last output, and events with the kubelet's reasons.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectDaemon } from '../../engine/client/connect';
import { buildBusyboxLayout, IMAGE, whyNoNativePods } from '../pods/fixtures';
import { LeakTracker } from '../support/leaks';
import { cleanupHome, cli, daemonPid, makeHome, runMain, waitFor } from './support/harness';
import { alive } from './support/process-runtime';

const skip = whyNoNativePods();
let home: string;
let leaks: LeakTracker;
const savedHome = process.env.PODSMITH_HOME;

const pod = (name: string, spec: Record<string, unknown>) => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec }, null, 2);

describe('issue 9 semantics through the CLI (real daemon)', { skip }, () => {
  before(async () => {
    home = makeHome();
    process.env.PODSMITH_HOME = home;
    await buildBusyboxLayout(join(home, 'layout'));
    const loaded = await runMain(['load', '-i', join(home, 'layout'), '--name', IMAGE]);
    assert.equal(loaded.code, 0, loaded.err);
    leaks = new LeakTracker(home);
    writeFileSync(
      join(home, 'web.yaml'),
      pod('web', {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 1,
        containers: [
          { name: 'app', image: IMAGE, command: ['sleep', '1000'], readinessProbe: { exec: { command: ['sh', '-c', 'echo warming up; exit 1'] }, periodSeconds: 1 } },
          { name: 'short', image: IMAGE, command: ['sh', '-c', 'exit 3'] },
        ],
      }),
    );
    writeFileSync(
      join(home, 'initfail.yaml'),
      pod('initfail', {
        initContainers: [{ name: 'boom', image: IMAGE, command: ['sh', '-c', 'echo preparing; echo "cannot reach db:5432" >&2; exit 42'] }],
        containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'] }],
      }),
    );
  });

  after(async () => {
    if (home === undefined) return;
    const client = await connectDaemon({ home, autoStart: false }).catch(() => undefined);
    for (const p of (await client?.listPods().catch(() => [])) ?? []) {
      leaks.uids.add(p.uid);
      await client!.deletePod({ pod: p.uid, force: true }).catch(() => {});
    }
    client?.close();
    const pid = daemonPid(home);
    await runMain(['daemon', 'stop']);
    if (pid) await waitFor('the daemon to exit', () => !alive(pid));
    const left = await leaks.check();
    if (savedHome === undefined) delete process.env.PODSMITH_HOME;
    else process.env.PODSMITH_HOME = savedHome;
    assert.deepEqual([...left, ...(await cleanupHome(home)).map((p) => `process ${p}`)], []);
  });

  it('run of a pod whose init container fails prints its last output; events keep it', async () => {
    const r = await cli(['run', '-q', '-f', join(home, 'initfail.yaml')], home);
    assert.equal(r.code, 1);
    assert.equal(
      r.err,
      'podsmith run: initfail.yaml: init container "boom" failed with exit code 42 (Error)\n' +
        'last output of container "boom":\n' +
        '  | preparing\n' +
        '  | cannot reach db:5432\n',
    );
    const events = await runMain(['events', 'initfail']);
    assert.match(events.out, /Warning\s+Failed\s+pod\/initfail\s+init container "boom" failed with exit code 42 \(Error\) \(last output of boom: "cannot reach db:5432"\)/);
    assert.doesNotMatch(events.out, /INIT_FAILED/);
    const json = (await runMain(['events', '-o', 'json', 'initfail'])).out.trim().split('\n').map((l) => JSON.parse(l));
    const failed = json.find((e) => e.type === 'pod' && e.phase === 'Failed');
    assert.deepEqual(failed.failure, { container: 'boom', reason: 'Error', exitCode: 42, lastLines: ['preparing', 'cannot reach db:5432'] });
    assert.equal(failed.code, 'INIT_FAILED');
  });

  it('exec of a missing command: 127 and the message kubectl gives; --help says so', async () => {
    const r = await cli(['run', '-q', '-f', join(home, 'web.yaml')], home);
    assert.equal(r.code, 0, r.err);
    for (const p of JSON.parse((await runMain(['ps', '-o', 'json'])).out).items) leaks.uids.add(p.metadata.uid);
    const missing = await cli(['exec', 'web', '--', 'nosuch', '--flag'], home);
    assert.deepEqual(missing, { code: 127, out: '', err: 'exec: "nosuch": executable file not found in $PATH\n' });
    const help = await runMain(['exec', '--help']);
    assert.match(help.out.replace(/\n/g, ' '), /127 when it is not found in the container, 126 when it cannot be run/);
  });

  it('exec into a terminated container: exit 1, its state and exit code, no "busy"', async () => {
    await waitFor('short to exit', async () => JSON.parse((await runMain(['ps', 'web', '-o', 'json'])).out).status.containerStatuses.some((c: { name: string; state: { terminated?: unknown } }) => c.name === 'short' && c.state.terminated));
    const r = await runMain(['exec', '-c', 'short', 'web', '--', 'true']);
    assert.equal(r.code, 1);
    assert.match(r.err, /^podsmith exec: container "short" of pod web is not running \(terminated: exit code 3, Error, at [^)]+\); 'podsmith describe POD' shows its state/);
    assert.doesNotMatch(r.err, /another operation/);
  });

  it('a readiness probe that keeps failing shows as Unhealthy in events and describe', async () => {
    await waitFor('an Unhealthy event', async () => /Unhealthy/.test((await runMain(['events', 'web'])).out));
    const events = (await runMain(['events', 'web'])).out;
    assert.match(events, /Warning\s+Unhealthy\s+pod\/web\s+Readiness probe failed: command exited with 1: warming up/);
    assert.match(events, /Normal\s+Created\s+pod\/web\s+Created container app/);
    const d = (await runMain(['describe', 'web'])).out;
    assert.match(d, /Warning\s+Unhealthy\s+\S+\s+podsmith\s+Readiness probe failed/);
    const status = JSON.parse((await runMain(['ps', 'web', '-o', 'json'])).out).status;
    const ready = status.conditions.find((c: { type: string }) => c.type === 'ContainersReady');
    assert.equal(ready.reason, 'ContainersNotReady');
    assert.equal(ready.message, 'containers with unready status: [app short]');
    assert.equal((await runMain(['rm', '-f', 'web'])).code, 0);
    assert.deepEqual(await leaks.check(), []);
  });
});
