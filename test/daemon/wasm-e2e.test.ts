// The daemon serves pod-containers and pod-wasm side by side: the CLI runs a wasm pod and a native pod, `ps`
// lists both, `logs` and `describe` work on each, exec into the wasm pod is refused as not supported, names
// are unique across the two runtimes, and a daemon restart keeps the wasm pod running (its supervisor, like
// conmon, does not depend on the daemon).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectDaemon } from '../../engine/client/connect';
import { buildBusyboxLayout, IMAGE, podManifest, whyNoNativePods } from '../pods/fixtures';
import { LeakTracker } from '../support/leaks';
import { buildPrograms, IMAGES, liveIdleSpares, loadWasmImages, wasmLeaks, wasmPod, whyNoWasm } from '../wasm/fixtures';
import { cleanupHome, cli, daemonPid, makeHome, runMain, waitFor } from './support/harness';
import { alive } from './support/process-runtime';

const skip = whyNoNativePods() ?? whyNoWasm();

describe('one daemon, two runtime classes', { skip }, () => {
  let home: string;
  let leaks: LeakTracker;
  const savedHome = process.env.PODSMITH_HOME;

  before(async () => {
    home = makeHome();
    process.env.PODSMITH_HOME = home;
    await buildBusyboxLayout(join(home, 'layout'));
    assert.equal((await runMain(['load', '-i', join(home, 'layout'), '--name', IMAGE])).code, 0);
    await loadWasmImages(home, await buildPrograms());
    writeFileSync(join(home, 'wasm.yaml'), wasmPod('ticker', { terminationGracePeriodSeconds: 1, containers: [{ name: 'tick', image: IMAGES.tool, args: ['tool.wasm', 'tick', '100'] }] }));
    writeFileSync(join(home, 'native.yaml'), podManifest('shell', { terminationGracePeriodSeconds: 1, containers: [{ name: 'sh', image: IMAGE, command: ['sh', '-c', 'echo native up; exec sleep 1000'] }] }));
    // Same name as the wasm pod, but native.
    writeFileSync(join(home, 'clash.yaml'), podManifest('ticker', { containers: [{ name: 'sh', image: IMAGE, command: ['sleep', '1000'] }] }));
    leaks = new LeakTracker(home);
  });

  after(async () => {
    if (!home) return;
    const client = await connectDaemon({ home }).catch(() => undefined);
    for (const p of (await client?.listPods().catch(() => [])) ?? []) await client!.deletePod({ pod: p.uid, force: true }).catch(() => {});
    client?.close();
    const pid = daemonPid(home);
    await runMain(['daemon', 'stop']);
    if (pid) await waitFor('the daemon to exit', () => !alive(pid));
    const left = [...(await leaks.check()), ...wasmLeaks(home)];
    if (savedHome === undefined) delete process.env.PODSMITH_HOME;
    else process.env.PODSMITH_HOME = savedHome;
    assert.deepEqual([...left, ...(await cleanupHome(home)).map((p) => `process ${p}`)], []);
  });

  it('runs a wasm pod and a native pod; ps shows both with their runtime class', async () => {
    const w = await cli(['run', '-f', join(home, 'wasm.yaml')], home);
    assert.equal(w.code, 0, w.err);
    assert.equal(w.out, 'pod/ticker Running\n');
    const n = await runMain(['run', '-f', join(home, 'native.yaml')]);
    assert.equal(n.code, 0, n.err);
    const list = JSON.parse((await runMain(['ps', '-o', 'json'])).out) as { items: { metadata: { name: string; uid: string }; spec: { runtimeClassName?: string }; status: { phase: string } }[] };
    const byName = Object.fromEntries(list.items.map((p) => [p.metadata.name, p]));
    assert.equal(byName.ticker.status.phase, 'Running');
    assert.equal(byName.shell.status.phase, 'Running');
    for (const p of list.items) leaks.uids.add(p.metadata.uid);
    const wide = (await runMain(['ps', '-o', 'wide'])).out;
    assert.match(wide, /^ticker\s.*pod-wasm/m);
    assert.match(wide, /^shell\s.*pod-containers/m);
  });

  it('logs, describe and exec go to the runtime holding the pod', async () => {
    await waitFor('wasm log lines', async () => /tick 3\n/.test((await runMain(['logs', 'ticker'])).out));
    await waitFor('native log line', async () => (await runMain(['logs', 'shell'])).out === 'native up\n');
    assert.match((await runMain(['describe', 'ticker'])).out, /^Runtime Class:\s+pod-wasm$/m);
    const ex = await runMain(['exec', 'ticker', '--', 'ls']);
    assert.equal(ex.code, 1);
    assert.match(ex.err, /not supported|NotSupported/i);
    const ok = await runMain(['exec', 'shell', '--', 'sh', '-c', 'exit 4']);
    assert.equal(ok.code, 4);
  });

  it('a pod name is unique across runtime classes', async () => {
    const r = await runMain(['run', '-f', join(home, 'clash.yaml')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /already exists/);
  });

  it('a daemon restart keeps the wasm pod running', async () => {
    const before = JSON.parse((await runMain(['ps', 'ticker', '-o', 'json'])).out);
    const pid = daemonPid(home)!;
    assert.equal((await runMain(['daemon', 'stop'])).code, 0);
    await waitFor('the daemon to exit', () => !alive(pid));
    const lines = (await runMain(['logs', 'ticker'])).out.split('\n').length;
    const after = JSON.parse((await cli(['ps', 'ticker', '-o', 'json'], home)).out);
    assert.equal(after.metadata.uid, before.metadata.uid);
    assert.equal(after.status.phase, 'Running');
    // Still ticking.
    await waitFor('more log lines', async () => (await runMain(['logs', 'ticker'])).out.split('\n').length > lines + 2);
  });

  it('stop and rm end both pods', async () => {
    assert.equal((await runMain(['rm', '-f', 'ticker', 'shell'])).code, 0);
    assert.deepEqual(JSON.parse((await runMain(['ps', '-a', '-o', 'json'])).out).items, []);
    // The daemon's idle spare sandbox (its slot is a mount under the home) belongs to the running daemon.
    const spares = [...liveIdleSpares(home)];
    assert.deepEqual([...(await leaks.check()).filter((l) => !spares.some((id) => l.includes(id))), ...wasmLeaks(home)], []);
  });
});
