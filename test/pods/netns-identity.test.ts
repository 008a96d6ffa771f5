// Which network namespace is a pod's: the daemon names it by its pause process, pinned by that process's start
// time and the namespace inode, and refuses a record whose pid now belongs to another process (a reused pid),
// so port-forward never carries a connection into someone else's namespace.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { connect } from 'node:net';
import { bringUpLoopback } from '../../engine/network/loopback';
import { startPortForward } from '../../engine/network/port-forward';
import { startScratchNetns, type ScratchNetns } from '../../engine/network/scratch-netns';
import { isDirectPause, readPod, writePod, type PodRecord } from '../../engine/pods/native/state';
import { directPauseUnavailable, procStat } from '../../engine/runtime';
import { startEchoServer, type EchoServer } from '../network/support/netns-fixtures';
import { IMAGE, podManifest, podTestEnv, until, whyNoNativePods, type PodTestEnv } from './fixtures';

function fetchOnce(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const c = connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => c.end(text));
    c.setEncoding('utf8').on('data', (s: string) => (got += s));
    c.on('end', () => resolve(got));
    c.on('error', reject);
  });
}

// Both kinds of pause: started directly (the default where it can run) and as a container under conmon.
for (const pause of ['direct', 'runtime'] as const)
describe(`a pod's network namespace, pinned (${pause} pause)`, { skip: whyNoNativePods() ?? (pause === 'direct' ? directPauseUnavailable() : undefined) }, () => {
  let env: PodTestEnv;
  let uid: string;
  let original: PodRecord;
  // Another process in another network namespace, with a server on its loopback: where a reused pid would lead.
  let other: ScratchNetns;
  let echo: EchoServer;

  before(async () => {
    env = await podTestEnv({ pause });
    const status = await env.runtime.runPod({
      manifest: podManifest('pinned', {
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'web', image: IMAGE, command: ['sh', '-c', 'mkdir -p /tmp/www && echo from the pod > /tmp/www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /tmp/www'] }],
      }),
    });
    uid = status.uid;
    original = (await readPod(env.home, uid))!;
    other = await startScratchNetns();
    await bringUpLoopback(other.pid);
    echo = await startEchoServer(other.pid, 8080);
  });

  after(async () => {
    if (original) await writePod(env.home, original);
    await echo?.stop();
    await other?.stop();
    await env?.runtime.deletePod({ pod: 'pinned', force: true }).catch(() => undefined);
    const leaks = await env?.cleanup();
    await env?.dispose();
    assert.deepEqual(leaks, []);
  });

  it('names the pause process with its start time and the namespace inode, and port-forward reaches the pod', async () => {
    const ref = await env.runtime.podNetns!('pinned');
    assert.equal(ref.pid, original.pause!.pid);
    assert.equal(ref.startTime, procStat(ref.pid)!.startTime);
    assert.equal(ref.startTime, original.pause!.startTime, 'run_pod recorded the pause start time');
    assert.equal(ref.netnsInode, statSync(`/proc/${ref.pid}/ns/net`).ino);
    const session = await startPortForward(ref, [{ local: 0, remote: 8080 }]);
    try {
      const reply = await until('httpd in the pod', () => fetchOnce(session.ports[0].local, 'GET / HTTP/1.0\r\n\r\n').then((r) => (r.includes('from the pod') ? r : undefined)));
      assert.match(reply, /from the pod/);
    } finally {
      await session.close();
    }
  });

  it('refuses a record whose pause pid is alive but another process (another start time)', async () => {
    // The pause exited and its pid went to `other`: the record still says the pause's start time.
    await writePod(env.home, { ...original, pause: { ...original.pause!, pid: other.pid } });
    await assert.rejects(env.runtime.podNetns!('pinned'), /pod pinned is not running/);
    await writePod(env.home, original);
  });

  // Records written before start times were kept have a pause container; a direct pause always has one.
  if (pause === 'runtime')
  it('refuses a record without a start time whose pid is not its conmon\'s child', async () => {
    if (isDirectPause(original.pause)) throw new Error('expected a pause container');
    const { startTime: _, ...legacy } = original.pause!;
    await writePod(env.home, { ...original, pause: { ...legacy, pid: other.pid } });
    await assert.rejects(env.runtime.podNetns!('pinned'), /pod pinned is not running/);
    // The same old-style record with the real pause pid is still accepted.
    await writePod(env.home, { ...original, pause: { ...legacy } });
    assert.equal((await env.runtime.podNetns!('pinned')).pid, original.pause!.pid);
    await writePod(env.home, original);
  });

  it('port-forward refuses a pinned namespace whose process or inode changed, and never reaches the other namespace', async () => {
    const ref = await env.runtime.podNetns!('pinned');
    // What a client holds when the pod's pause died and its pid was reused by `other`.
    const reused = { ...ref, pid: other.pid };
    await assert.rejects(startPortForward(reused, [{ local: 0, remote: 8080 }]), /is no longer the pod's process/);
    const moved = { ...ref, startTime: procStat(other.pid)!.startTime, pid: other.pid };
    await assert.rejects(startPortForward(moved, [{ local: 0, remote: 8080 }]), /is in another network namespace now/);
  });
});
