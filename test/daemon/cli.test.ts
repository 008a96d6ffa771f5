// The pod commands end to end: real CLI processes (and the in-process entry) against a daemon running the
// process-backed test runtime. Exit codes: 0 ok, 1 failed, 2 usage; exec returns the command's own code.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { eventsCommand } from '../../engine/cli/commands/events';
import { logsCommand } from '../../engine/cli/commands/logs';
import type { Io } from '../../engine/cli/io';
import { spawnInPty } from '../../native/pty';
import { cleanupHome, cli, makeHome, REPO, runMain, startTestDaemon, TSX, waitFor } from './support/harness';
import { fileSatisfies, TextSink } from '../support/wait';

let home: string;
let files: string;
const savedHome = process.env.PODSMITH_HOME;

const podYaml = (name: string, script: string, image = 'busybox'): string => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
    - name: app
      image: ${image}
      command: ["sh", "-c", ${JSON.stringify(script)}]
`;

before(async () => {
  home = makeHome();
  files = join(home, 'manifests');
  mkdirSync(join(files, 'folder'), { recursive: true });
  writeFileSync(join(files, 'web.yaml'), podYaml('web', 'echo hello from web; echo warn >&2; while true; do sleep 1; done'));
  writeFileSync(join(files, 'once.yaml'), podYaml('once', 'echo bye; exit 0'));
  writeFileSync(join(files, 'bad.yaml'), podYaml('bad', 'true').replace('image: busybox', 'image: busybox\n      imagePullPolicy: Sometimes'));
  writeFileSync(join(files, 'missing.yaml'), podYaml('ghost', 'true', 'missing/image:1'));
  writeFileSync(join(files, 'folder', 'a.yaml'), podYaml('fa', 'while true; do sleep 1; done'));
  writeFileSync(join(files, 'folder', 'b.yaml'), podYaml('fb', 'while true; do sleep 1; done'));
  writeFileSync(join(files, 'folder', 'config.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n');
  process.env.PODSMITH_HOME = home;
  await startTestDaemon(home);
});

after(async () => {
  if (savedHome === undefined) delete process.env.PODSMITH_HOME;
  else process.env.PODSMITH_HOME = savedHome;
  assert.deepEqual(await cleanupHome(home), [], 'processes left behind');
});

describe('podsmith run', () => {
  it('runs a pod, shows pull progress on stderr and prints the pod and its status', async () => {
    const r = await cli(['run', '-f', join(files, 'web.yaml')], home);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'pod/web Running\n');
    assert.match(r.err, /busybox: resolved to sha256:/);
    assert.match(r.err, /downloading 1000 B/);
  });

  it('runs every pod of a folder', async () => {
    const r = await runMain(['run', '-q', '-f', join(files, 'folder')]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'pod/fa Running\npod/fb Running\n');
    assert.equal(r.err, '', '-q shows no progress');
  });

  it('refuses a bad manifest with the linter findings and what to do (exit 1)', async () => {
    const r = await runMain(['run', '-f', join(files, 'bad.yaml')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /\d+:\d+: error \[[a-z-]+\] .*Sometimes/);
    assert.match(r.err, /podsmith lint FILE/);
  });

  it('names the next step for a pod that exists already and for a missing image', async () => {
    const again = await runMain(['run', '-q', '-f', join(files, 'web.yaml')]);
    assert.equal(again.code, 1);
    assert.match(again.err, /already exists; 'podsmith rm -f NAME'/);
    const image = await runMain(['run', '-q', '-f', join(files, 'missing.yaml')]);
    assert.equal(image.code, 1);
    assert.match(image.err, /missing\/image:1 not found; check the image name/);
  });

  it('exits 2 for usage errors', async () => {
    assert.equal((await runMain(['run'])).code, 2);
    assert.equal((await runMain(['run', '-f', join(files, 'nothing-here.yaml')])).code, 2);
    assert.equal((await runMain(['run', '--bogus'])).code, 2);
  });
});

describe('podsmith ps and describe', () => {
  it('prints the kubectl table', async () => {
    const r = await runMain(['ps']);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n');
    assert.match(lines[0], /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    assert.ok(lines.some((l) => /^web\s+1\/1\s+Running\s+0\s+\d+s$/.test(l)), r.out);
  });

  it('adds runtime, OCI runtime and IP with -o wide', async () => {
    const r = await runMain(['ps', '-o', 'wide']);
    assert.match(r.out.split('\n')[0], /AGE\s+RUNTIME\s+OCI\s+IP$/);
    assert.match(r.out, /web .*pod-containers\s+test-processes\s+10\.0\.0\.1/);
  });

  it('prints Kubernetes objects with -o json and -o yaml', async () => {
    const list = JSON.parse((await runMain(['ps', '-o', 'json'])).out);
    assert.equal(list.kind, 'List');
    assert.equal(list.apiVersion, 'v1');
    const web = list.items.find((p: { metadata: { name: string } }) => p.metadata.name === 'web');
    assert.equal(web.kind, 'Pod');
    assert.equal(web.apiVersion, 'v1');
    assert.equal(web.metadata.namespace, 'default');
    assert.match(web.metadata.uid, /^uid-web/);
    assert.equal(web.metadata.annotations['podsmith.io/oci-runtime'], 'test-processes');
    assert.equal(web.spec.runtimeClassName, 'pod-containers');
    assert.equal(web.status.phase, 'Running');
    assert.equal(web.status.podIP, '10.0.0.1');
    assert.ok(web.status.conditions.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'));
    const c = web.status.containerStatuses[0];
    assert.deepEqual(Object.keys(c).sort(), ['containerID', 'image', 'imageID', 'lastState', 'name', 'ready', 'restartCount', 'started', 'state']);
    assert.ok(c.state.running.startedAt);
    const one = JSON.parse((await runMain(['ps', 'web', '-o', 'json'])).out);
    assert.equal(one.kind, 'Pod');
    const yaml = parseYaml((await runMain(['ps', 'web', '-o', 'yaml'])).out);
    assert.equal(yaml.status.containerStatuses[0].name, 'app');
  });

  it('hides stopped pods unless -a, and shows how they ended', async () => {
    const r = await runMain(['run', '-q', '-f', join(files, 'once.yaml')]);
    assert.equal(r.code, 0, r.err);
    await waitFor('once to finish', async () => /Completed/.test((await runMain(['ps', '-a'])).out));
    assert.doesNotMatch((await runMain(['ps'])).out, /^once/m);
    assert.match((await runMain(['ps', '-a'])).out, /^once\s+0\/1\s+Completed\s+0/m);
  });

  it('exits 2 for an unknown format and 1 for an unknown pod', async () => {
    assert.equal((await runMain(['ps', '-o', 'xml'])).code, 2);
    const r = await runMain(['ps', 'nope']);
    assert.equal(r.code, 1);
    assert.match(r.err, /pod nope not found; 'podsmith ps -a' lists pods/);
  });

  it('describes a pod like kubectl, with the OCI runtime and events', async () => {
    const r = await runMain(['describe', 'web']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Name:\s+web$/m);
    assert.match(r.out, /^Runtime Class:\s+pod-containers$/m);
    assert.match(r.out, /^OCI Runtime:\s+test-processes$/m);
    assert.match(r.out, /^Containers:\n {2}app:\n {4}Container ID:\s+podsmith:\/\//m);
    assert.match(r.out, /^ {4}State:\s+Running$/m);
    assert.match(r.out, /^Conditions:\n {2}Type\s+Status$/m);
    assert.match(r.out, /Normal\s+Pulled\s+\d+s\s+podsmith\s+Pulled image "busybox"/);
    assert.match(r.out, /Normal\s+Started\s+\d+s\s+podsmith\s+Started container app/);
    const missing = await runMain(['describe', 'nope']);
    assert.equal(missing.code, 1);
    assert.equal((await runMain(['describe'])).code, 2);
  });
});

describe('podsmith logs', () => {
  it('prints the log, its tail, and refuses bad durations', async () => {
    await waitFor('web to log', async () => (await runMain(['logs', 'web'])).out.includes('hello'));
    const r = await cli(['logs', 'web'], home);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'hello from web\nwarn\n');
    assert.equal((await runMain(['logs', 'web', '--tail', '1'])).out, 'warn\n');
    assert.equal((await runMain(['logs', 'web', '--since', 'five'])).code, 2);
    assert.equal((await runMain(['logs', 'web', '--since', '1h30m'])).code, 0);
    const nope = await runMain(['logs', 'nope']);
    assert.equal(nope.code, 1);
    assert.match(nope.err, /not found/);
  });
});

describe('podsmith logs -f', () => {
  it('follows until interrupted, then exits 0', async () => {
    const out = new TextSink();
    const io: Io = { out: out.add, err: out.add };
    const ac = new AbortController();
    const following = logsCommand(['-f', '--tail', '1', 'web'], io, { signal: ac.signal });
    await out.until('the last line', (t) => t === 'warn\n');
    appendFileSync(join(home, 'test-runtime', 'web-app.log'), 'appended\n');
    await out.until('the appended line', (t) => t === 'warn\nappended\n');
    ac.abort();
    assert.equal(await following, 0);
  });
});

describe('podsmith exec', () => {
  it('returns the command exit code and keeps stdout and stderr apart', async () => {
    const r = await cli(['exec', 'web', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'], home);
    assert.equal(r.code, 3);
    assert.equal(r.out, 'out\n');
    assert.equal(r.err, 'err\n');
  });

  it('passes stdin with -i when the client has no terminal', async () => {
    const r = await cli(['exec', '-i', 'web', '--', 'sh', '-c', 'tr a-z A-Z'], home, 'piped input\n');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'PIPED INPUT\n');
  });

  it('works with -t and no local terminal (one merged stream)', async () => {
    const r = await cli(['exec', '-t', 'web', '--', 'sh', '-c', 'echo a; echo b >&2'], home);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'a\nb\n');
  });

  it('with -it on a real terminal: raw mode, the window size and SIGWINCH resizes reach the command', async () => {
    const resizes = join(home, 'test-runtime', 'resizes.log');
    const start = existsSync(resizes) ? readFileSync(resizes, 'utf8').length : 0;
    const resized = (what: string, size: string) => fileSatisfies(resizes, what, (s) => s.slice(start).includes(size));
    const entry = join(REPO, 'engine/cli/main.ts');
    const p = spawnInPty(process.execPath, ['--import', TSX, entry, 'exec', '-i', '-t', 'web', '--', 'sh', '-c', 'read x; echo got-$x; exit 4'], {
      size: { cols: 101, rows: 31 },
      env: { ...process.env, PODSMITH_HOME: home },
    });
    const out = new TextSink();
    p.terminal.on('data', out.add);
    const exited = new Promise<number | null>((r) => p.child.on('exit', r));
    await resized('the initial size', '101x31');
    p.terminal.resize({ cols: 133, rows: 44 });
    await resized('the resize', '133x44');
    p.terminal.resize({ cols: 90, rows: 20 });
    await resized('another resize', '90x20');
    p.terminal.write('typed\n');
    assert.equal(await exited, 4);
    const text = await out.until('the output', (t) => t.includes('got-typed'));
    // Raw mode: the local terminal did not echo the input (the only "typed" is the command's output).
    assert.equal(text.split('typed').length - 1, 1, JSON.stringify(text));
    p.terminal.destroy();
  });

  it('treats words after -- as the command, even ones that look like options', async () => {
    const r = await runMain(['exec', 'web', '--', 'sh', '-c', 'echo -c -i -t']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '-c -i -t\n');
  });

  it('exits 1 for an unknown pod and 2 for a missing command', async () => {
    const r = await runMain(['exec', 'nope', '--', 'true']);
    assert.equal(r.code, 1);
    assert.match(r.err, /pod nope not found; 'podsmith ps -a' lists pods/);
    assert.equal((await runMain(['exec', 'web'])).code, 2);
    assert.equal((await runMain(['exec', '--', 'true'])).code, 2);
  });
});

describe('podsmith events', () => {
  it('lists events as a table and as JSON lines', async () => {
    const r = await runMain(['events']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out.split('\n')[0], /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    assert.match(r.out, /Normal\s+Started\s+pod\/web\s+Started container app/);
    const lines = (await runMain(['events', '-o', 'json', 'web'])).out.trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.length > 0 && lines.every((e) => e.pod === 'web'));
  });

  it('--watch prints new events until interrupted', async () => {
    const out = new TextSink();
    const io: Io = { out: out.add, err: () => {} };
    const ac = new AbortController();
    const watching = eventsCommand(['--watch', 'late'], io, { signal: ac.signal });
    await out.until('the watch header', (t) => t.startsWith('LAST SEEN'));
    writeFileSync(join(files, 'late.yaml'), podYaml('late', 'while true; do sleep 1; done'));
    assert.equal((await runMain(['run', '-q', '-f', join(files, 'late.yaml')])).code, 0);
    await out.until('the late pod events', (t) => /Started container app/.test(t) && /Pod is Running/.test(t));
    ac.abort();
    assert.equal(await watching, 0);
  });
});

describe('podsmith stop and rm', () => {
  it('stops a pod, then deletes it; rm of a running pod needs -f', async () => {
    const running = await runMain(['rm', 'fa']);
    assert.equal(running.code, 1);
    assert.match(running.err, /is running; stop it first \('podsmith stop fa'\) or delete it anyway with 'podsmith rm -f fa'/);
    const stopped = await runMain(['stop', '--grace', '1', 'fa']);
    assert.equal(stopped.code, 0, stopped.err);
    assert.match(stopped.out, /^pod\/fa stopped \((Failed|Succeeded)\)$/m);
    assert.equal((await runMain(['rm', 'fa'])).code, 0);
    assert.equal((await runMain(['rm', '-f', 'fb', 'web', 'once', 'late'])).out, 'pod/fb deleted\npod/web deleted\npod/once deleted\npod/late deleted\n');
    const gone = await runMain(['rm', 'fa']);
    assert.equal(gone.code, 1);
    assert.match(gone.err, /not found; 'podsmith ps -a' lists pods/);
    assert.equal((await runMain(['stop', '--grace', 'soon', 'x'])).code, 2);
    assert.equal((await runMain(['stop'])).code, 2);
    assert.equal((await runMain(['ps', '-a'])).out, '');
  });
});

describe('podsmith daemon', () => {
  it('status reports the running daemon; help lists the pod commands', async () => {
    const r = await runMain(['daemon', 'status']);
    assert.equal(r.code, 0);
    assert.match(r.out, /podsmith daemon test running: pid \d+/);
    assert.match((await runMain(['--help'])).out, /run -f FILE\|DIR[\s\S]*exec POD -- CMD/);
    assert.equal((await runMain(['daemon', 'restart'])).code, 2);
  });
});
