// End to end on the real `pod-containers` runtime (runc, conmon, catatonit): the CLI starts the real daemon
// on demand and runs, lists, logs, execs into, stops and deletes a pod; a daemon restart keeps the pod. Skipped
// where native pods cannot run (not root, runc or conmon missing).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execCommand } from '../../engine/cli/commands/exec';
import { logsCommand } from '../../engine/cli/commands/logs';
import { portForwardPodCommand } from '../../engine/cli/commands/port-forward';
import type { Io } from '../../engine/cli/io';
import { connectDaemon } from '../../engine/client/connect';
import type { DaemonClient } from '../../engine/client/daemon-client';
import { buildBusyboxLayout, IMAGE, whyNoNativePods } from '../pods/fixtures';
import { LeakTracker } from '../support/leaks';
import { cleanupHome, cli, daemonPid, makeHome, runMain, waitFor } from './support/harness';
import { TextSink } from '../support/wait';
import { alive } from './support/process-runtime';

const skip = whyNoNativePods();
let home: string;
let watcher: DaemonClient | undefined;
let leaks: LeakTracker;
const savedHome = process.env.PODSMITH_HOME;

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: ${IMAGE}
      command: ["sh", "-c", "echo hello from a real container; while true; do sleep 1; done"]
    - name: http
      image: ${IMAGE}
      command: ["sh", "-c", "mkdir -p /tmp/www && echo served from the pod > /tmp/www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /tmp/www"]
`;

describe('podsmith CLI on the real pod-containers runtime', { skip }, () => {
  before(async () => {
    home = makeHome();
    process.env.PODSMITH_HOME = home;
    await buildBusyboxLayout(join(home, 'layout'));
    const loaded = await runMain(['load', '-i', join(home, 'layout'), '--name', IMAGE]);
    assert.equal(loaded.code, 0, loaded.err);
    writeFileSync(join(home, 'web.yaml'), POD);
    leaks = new LeakTracker(home);
  });

  after(async () => {
    if (home === undefined) return;
    // Delete whatever a failed test left, stop the daemon, then nothing of the runtime may remain.
    const client = watcher ?? (await connectDaemon({ home }).catch(() => undefined));
    for (const p of (await client?.listPods().catch(() => [])) ?? []) await client!.deletePod({ pod: p.uid, force: true }).catch(() => {});
    client?.close();
    const pid = daemonPid(home);
    await runMain(['daemon', 'stop']);
    if (pid) await waitFor('the daemon to exit', () => !alive(pid));
    const left = await leaks.check();
    if (savedHome === undefined) delete process.env.PODSMITH_HOME;
    else process.env.PODSMITH_HOME = savedHome;
    assert.deepEqual([...left, ...(await cleanupHome(home)).map((p) => `process ${p}`)], []);
  });

  it('run starts the daemon on demand and the pod', async () => {
    const r = await cli(['run', '-f', join(home, 'web.yaml')], home);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'pod/web Running\n');
    watcher = await connectDaemon({ home, autoStart: false });
    await watcher.subscribe({}, (e) => e.type !== 'pull' && leaks.uids.add(e.uid));
    for (const p of await watcher.listPods()) leaks.uids.add(p.uid);
  });

  it('refuses a file with a wrong Secret without writing its values to daemon.log or events.jsonl', async () => {
    // The attack: the admission error reaches the daemon's log and event history; the Secret's values must not.
    const mark = 'c0ffee5ecret';
    const digits = '931753';
    const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${digits}\n  token: {nested: ${mark}}\n---\n`;
    writeFileSync(join(home, 'with-secret.yaml'), secret + POD.replace('name: web', 'name: leak'));
    const r = await cli(['run', '-f', join(home, 'with-secret.yaml')], home);
    assert.equal(r.code, 1, r.out);
    assert.match(r.err, /stringData\.password/, 'the finding names the field');
    // A .json manifest is held to JSON on this path too: the trailing comma kubectl rejects.
    const json = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'json' }, spec: { containers: [{ name: 'a', image: IMAGE, args: ['-g', 'daemon off;'] }] } }, null, 2);
    writeFileSync(join(home, 'pod.json'), json.replace('"daemon off;"', '"daemon off;",'));
    const j = await cli(['run', '-f', join(home, 'pod.json')], home);
    assert.equal(j.code, 1, j.out);
    assert.match(j.err, /json-syntax/);
    for (const file of ['daemon.log', 'events.jsonl']) {
      let text = '';
      try {
        text = readFileSync(join(home, file), 'utf8');
      } catch {
        continue; // no history written at all: nothing leaked
      }
      assert.ok(!text.includes(mark) && !text.includes(digits), `${file} holds a Secret value`);
    }
    assert.match(readFileSync(join(home, 'daemon.log'), 'utf8'), /with-secret\.yaml/, 'the refusal itself is logged');
  });

  it('ps and describe show the pod and which OCI runtime runs it', async () => {
    const list = JSON.parse((await runMain(['ps', '-o', 'json'])).out);
    const web = list.items.find((p: { metadata: { name: string } }) => p.metadata.name === 'web');
    assert.equal(web.status.phase, 'Running');
    assert.match(web.metadata.annotations['podsmith.io/oci-runtime'], /^(runc|crun|youki)$/);
    assert.ok(web.status.containerStatuses[0].state.running);
    const d = await runMain(['describe', 'web']);
    assert.match(d.out, /^OCI Runtime:\s+(runc|crun|youki)$/m);
  });

  it('logs prints and follows the container output', async () => {
    await waitFor('the first line', async () => (await runMain(['logs', 'web'])).out.includes('hello from a real container'));
    const out = new TextSink();
    const io: Io = { out: out.add, err: out.add };
    const ac = new AbortController();
    const following = logsCommand(['-f', 'web'], io, { signal: ac.signal });
    await out.until('the followed log', (t) => t.includes('hello from a real container'));
    const echo = await runMain(['exec', 'web', '--', 'sh', '-c', 'echo to-the-log > /proc/1/fd/1']);
    assert.equal(echo.code, 0, echo.err);
    await out.until('a line written while following', (t) => t.includes('to-the-log'));
    ac.abort();
    assert.equal(await following, 0);
  });

  it('exec streams stdin, stdout and stderr and returns the exit code; -t gets a real terminal', async () => {
    const r = await cli(['exec', '-i', 'web', '--', 'sh', '-c', 'tr a-z A-Z; echo oops >&2; exit 6'], home, 'through runc\n');
    assert.equal(r.code, 6, r.err);
    assert.equal(r.out, 'THROUGH RUNC\n');
    assert.equal(r.err, 'oops\n');
    const t = await cli(['exec', '-t', 'web', '--', 'tty'], home);
    assert.equal(t.code, 0, t.err);
    // One \r\n: only the container's terminal translates newlines (the pty carrying runc's is raw).
    assert.match(t.out, /^\/dev\/pts\/\d+\r\n$/);
  });

  it('Ctrl-C on exec ends the command in the container, not only the stream', async () => {
    const out = new TextSink();
    const io: Io = { out: out.add, err: out.add };
    const ac = new AbortController();
    const running = execCommand(['web', '--', 'sh', '-c', 'echo $$ > /tmp/exec.pid; echo started; exec sleep 1000'], io, { signal: ac.signal });
    await out.until('the command to start', (t) => t.includes('started'));
    ac.abort();
    assert.equal(await running, 130);
    await waitFor('the command to be gone', async () => (await runMain(['exec', 'web', '--', 'sh', '-c', 'kill -0 $(cat /tmp/exec.pid) 2>/dev/null && echo alive || echo gone'])).out === 'gone\n');
  });

  it('port-forward reaches a port on the pod\'s own loopback from the host', async () => {
    const sink = new TextSink();
    const io: Io = { out: sink.add, err: sink.add };
    const ac = new AbortController();
    const forwarding = portForwardPodCommand(['web', ':8080'], io, { signal: ac.signal });
    const out = await sink.until('the listener', (t) => /Forwarding from 127\.0\.0\.1:\d+ -> 8080/.test(t) || /error|failed/i.test(t));
    const port = Number(/127\.0\.0\.1:(\d+) ->/.exec(out)?.[1]);
    assert.ok(port > 0, out);
    // httpd may still be starting: a refused forward is retried until it answers.
    let body = '';
    await waitFor('httpd through the forward', async () => {
      body = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text(), () => '');
      return body.length > 0;
    });
    assert.equal(body, 'served from the pod\n');
    ac.abort();
    assert.equal(await forwarding, 0);
    const gone = await runMain(['port-forward', 'no-such-pod', '8080']);
    assert.equal(gone.code, 1);
    assert.match(gone.err, /no-such-pod not found/);
  });

  it('a daemon restart keeps the pod running', async () => {
    const before = JSON.parse((await runMain(['ps', 'web', '-o', 'json'])).out);
    watcher?.close();
    watcher = undefined;
    const pid = daemonPid(home)!;
    assert.equal((await runMain(['daemon', 'stop'])).code, 0);
    await waitFor('the daemon to exit', () => !alive(pid));
    const after = await cli(['ps', 'web', '-o', 'json'], home);
    assert.equal(after.code, 0, after.err);
    const pod = JSON.parse(after.out);
    assert.notEqual(daemonPid(home), pid, 'a new daemon');
    assert.equal(pod.metadata.uid, before.metadata.uid);
    assert.equal(pod.status.phase, 'Running');
    assert.equal(pod.status.containerStatuses[0].restartCount, 0);
  });

  it('stop and rm end the pod and leave nothing behind', async () => {
    const s = await runMain(['stop', '--grace', '2', 'web']);
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /^pod\/web stopped \((Succeeded|Failed)\)$/m);
    assert.equal((await runMain(['rm', 'web'])).code, 0);
    assert.equal((await runMain(['ps', '-a'])).out, '');
    assert.deepEqual(await leaks.check(), []);
  });
});
