// The boundary around a wasm pod, attacked for real (issue 8): a hostile image and hostile modules try to
// read and write a host file outside the pod (a canary: a root-owned 0600 file in a 0700 temporary directory),
// to make the daemon signal a process of their choosing through a forged status.json, to stop or kill their
// own supervisor with proc_raise, to crash it with one huge fd_write, and to get a read-only volume written
// through two mounts at one path. Each attack must fail and leave the host file as it was; the pod's other
// containers must go on. Also what the sandbox means for volumes: a configMap is read-only to the kernel
// even when reached from outside its preopen, and a hostPath is written as the sandbox's unprivileged id.
import { identity } from '../../engine/rootless/identity';
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, procStat } from '../../engine/runtime/processes';
import type { PodError } from '../../engine/pods/types';
import { container, IMAGES, text, until, wasmPod, wasmTestEnv, whyNoWasm, type WasmTestEnv } from './fixtures';

const skip = whyNoWasm();
const never = { restartPolicy: 'Never', terminationGracePeriodSeconds: 0 };

describe('pod-wasm sandbox', { skip }, () => {
  let env: WasmTestEnv;
  let canaryDir: string;
  let canary: string;
  let secret: string;
  before(async () => {
    env = await wasmTestEnv();
    canaryDir = mkdtempSync(join(tmpdir(), 'podsmith-canary-'));
    canary = join(canaryDir, 'secret');
    secret = `canary-${randomBytes(12).toString('hex')}`;
    writeFileSync(canary, secret, { mode: 0o600 });
  });
  afterEach(async () => {
    assert.deepEqual(await env.cleanup(), []);
    assert.equal(readFileSync(canary, 'utf8'), secret, 'the host file is unchanged');
    assert.equal(statSync(canary).mode & 0o777, 0o600);
  });
  after(async () => {
    await env?.dispose();
    if (canaryDir) rmSync(canaryDir, { recursive: true, force: true });
  });

  const ended = (pod: string, name: string, timeoutMs?: number) =>
    until(`${name} to end`, async () => container(await env.runtime.podStatus(pod), name).state.terminated, timeoutMs);
  const logs = async (pod: string, name: string) => text(await env.runtime.logs({ pod, container: name }));

  it('the supervisor runs unprivileged, in namespaces of its own, with no capabilities and a seccomp filter', async () => {
    const status = await env.runtime.runPod({ manifest: wasmPod('boundary', { ...never, containers: [{ name: 'a', image: IMAGES.tool, command: ['tool.wasm', 'serve'] }] }) });
    const pod = JSON.parse(readFileSync(join(env.home, 'wasm-pods', status.uid, 'pod.json'), 'utf8')) as { supervisor: { pid: number }; sandbox: { hostId: number } };
    const pid = pod.supervisor.pid;
    const proc = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(proc)?.[1].trim();
    assert.equal(field('Uid')?.split(/\s+/)[0], String(pod.sandbox.hostId), 'its uid on the host is the sandbox id');
    assert.notEqual(pod.sandbox.hostId, 0);
    for (const cap of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) assert.equal(field(cap), '0000000000000000', cap);
    assert.equal(field('NoNewPrivs'), '1');
    assert.equal(field('Seccomp'), '2');
    assert.equal(readFileSync(`/proc/${pid}/uid_map`, 'utf8').trim().split(/\s+/).join(' '), `0 ${pod.sandbox.hostId} 1`);
    for (const ns of ['user', 'mnt', 'pid', 'ipc', 'uts', 'net', 'cgroup']) assert.notEqual(readlinkSync(`/proc/${pid}/ns/${ns}`), readlinkSync(`/proc/self/ns/${ns}`), `its own ${ns} namespace`);
    // Its root holds Node, its libraries and the supervisor; nothing of the host's /etc, /root or /home.
    for (const p of ['etc', 'root', 'home', 'var']) assert.equal(existsSync(`/proc/${pid}/root/${p}`), false, `/${p} in the sandbox`);
    await env.runtime.deletePod({ pod: 'boundary' });
  });

  it('a symlink to / in an image layer leads nowhere on the host', async () => {
    // The image's layer holds `h -> /`: node:wasi checks guest paths textually and the kernel follows the link.
    await env.runtime.runPod({
      manifest: wasmPod('hostile-image', {
        ...never,
        containers: [
          { name: 'read', image: IMAGES.escape, args: ['cat', `/h${canary}`] },
          { name: 'write', image: IMAGES.escape, args: ['write', `/h${canaryDir}/planted`, 'pwned'] },
          { name: 'passwd', image: IMAGES.escape, args: ['cat', '/h/etc/passwd'] },
        ],
      }),
    });
    const read = await ended('hostile-image', 'read');
    const readLog = await logs('hostile-image', 'read');
    assert.ok(!readLog.includes(secret), `the module read the host file: ${readLog}`);
    assert.equal(read.exitCode, 1, readLog);
    assert.equal((await ended('hostile-image', 'write')).exitCode, 1, await logs('hostile-image', 'write'));
    assert.equal(existsSync(join(canaryDir, 'planted')), false, 'no file was planted on the host');
    // The host's /etc/passwd is not there either: the link leads to the sandbox's own root.
    await ended('hostile-image', 'passwd');
    assert.doesNotMatch(await logs('hostile-image', 'passwd'), /root:x:0:0/);
    // The image itself still works as an image: its own files are there.
    await env.runtime.deletePod({ pod: 'hostile-image' });
  });

  it('symlinks made on a writable emptyDir lead nowhere on the host', async () => {
    // node:wasi refuses `symlink("/", "/data/x")` here (uvwasi checks targets as text), but not a chain of
    // links whose targets stay inside as text while the kernel climbs out: /data/u16 is 16 levels above /data.
    const data = [{ name: 'data', mountPath: '/data' }];
    await env.runtime.runPod({
      manifest: wasmPod('hostile-module', {
        ...never,
        volumes: [{ name: 'data', emptyDir: {} }],
        initContainers: [{ name: 'link', image: IMAGES.tool, command: ['tool.wasm', 'uplinks', '/data', '16'], volumeMounts: data }],
        containers: [
          { name: 'overwrite', image: IMAGES.tool, command: ['tool.wasm', 'write', `/data/u16${canary}`, 'pwned'], volumeMounts: data },
          { name: 'plant', image: IMAGES.tool, command: ['tool.wasm', 'write', `/data/u16${canaryDir}/planted`, 'pwned'], volumeMounts: data },
          { name: 'read', image: IMAGES.tool, command: ['tool.wasm', 'cat', `/data/u16${canary}`], volumeMounts: data },
        ],
      }),
    });
    assert.equal(container(await env.runtime.podStatus('hostile-module'), 'link').state.terminated?.exitCode, 0, await logs('hostile-module', 'link'));
    for (const name of ['overwrite', 'plant', 'read']) assert.equal((await ended('hostile-module', name)).exitCode, 1, await logs('hostile-module', name));
    assert.ok(!(await logs('hostile-module', 'read')).includes(secret), 'the module read the host file');
    assert.equal(existsSync(join(canaryDir, 'planted')), false, 'no file was planted on the host');
    await env.runtime.deletePod({ pod: 'hostile-module' });
  });

  it('a status.json forged by a module is not trusted: the pid it names is never signalled', async () => {
    const victim = spawn('sleep', ['1000'], { stdio: 'ignore' });
    try {
      await until('the victim process', () => victim.pid !== undefined && isAlive(victim.pid));
      // Not a state the supervisor could write, naming a host process as the supervisor. The module writes it
      // wherever status.json may be: in the pod directory on the host (reached through `h -> /`), or in the
      // sandbox's own state directory.
      const forged = JSON.stringify({ version: 1, supervisor: { pid: victim.pid }, phase: 'stopped', containers: 'none' });
      const status = await env.runtime.runPod({
        manifest: wasmPod('forger', {
          ...never,
          volumes: [{ name: 'data', emptyDir: {} }],
          containers: [
            { name: 'forge', image: IMAGES.escape, args: ['forge', 'status.json', forged, '/data/go', `/h${env.home}/wasm-pods`, '/h/s/pod'], volumeMounts: [{ name: 'data', mountPath: '/data' }] },
          ],
        }),
      });
      // Only now: a forgery during start-up fails run_pod (the daemon cannot read the pod's state), which is
      // right, but this test is about a running pod.
      writeFileSync(join(env.home, 'wasm-pods', status.uid, 'volumes', 'data', 'go'), '');
      await until('the forgery', async () => /forging done/.test(await logs('forger', 'forge')));
      assert.match(await logs('forger', 'forge'), /forged \S*status\.json/, 'the module did write a status.json');
      const seen = await env.runtime.podStatus('forger');
      assert.equal(seen.reason, 'InvalidStatus');
      assert.match(seen.message ?? '', /status\.json the runtime cannot use/);
      assert.equal(seen.uid, status.uid);
      await env.runtime.deletePod({ pod: 'forger', force: true });
      assert.ok(isAlive(victim.pid!), 'the process named in the forged status.json was not signalled');
    } finally {
      victim.kill('SIGKILL');
    }
  });

  it('a log the sandbox replaced with a link does not make the daemon read a host file', async () => {
    // The sandbox writes its logs; a module that reaches them (through `h -> /`) swaps its container's log for
    // a link that climbs out once the daemon, on the host, follows it. The target is a host file in the CRI
    // log format (another pod's log, say), 0600 root's.
    const hostLog = join(canaryDir, 'other-pod.log');
    writeFileSync(hostLog, `2024-01-01T00:00:00.000000000Z stdout F ${secret}\n`, { mode: 0o600 });
    const logs1 = '/h/s/pod/sandbox/logs/one';
    await env.runtime.runPod({
      manifest: wasmPod('relinker', {
        ...never,
        initContainers: [
          { name: 'one', image: IMAGES.escape, args: ['uplinks', logs1, '16'] },
          { name: 'two', image: IMAGES.escape, args: ['relink', `${logs1}/0.log`, `u16${hostLog}`] },
        ],
        containers: [{ name: 'app', image: IMAGES.tool, command: ['tool.wasm', 'serve'] }],
      }),
    });
    assert.match(await logs('relinker', 'two'), /^relinked /, 'the module did replace the log');
    assert.ok(!(await logs('relinker', 'one')).includes(secret), 'the daemon served the host file as a log');
    await env.runtime.deletePod({ pod: 'relinker' });
    rmSync(hostLog);
  });

  it('a configMap stays read-only when a module reaches it from outside its preopen', async () => {
    const settings = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { 'a.txt': 'from the configMap' } };
    // Preopen 1 of container 0 (0 is the image's root) is bound at /s/v/0/1 in the sandbox: written through
    // `h -> /`, node:wasi's read-only marks do not apply (the path is under the writable root preopen).
    const status = await env.runtime.runPod({
      manifest: wasmPod(
        'rocheck',
        {
          ...never,
          volumes: [{ name: 'config', configMap: { name: 'settings' } }],
          containers: [{ name: 'w', image: IMAGES.escape, args: ['write', '/h/s/v/0/1/new.txt', 'x'], volumeMounts: [{ name: 'config', mountPath: '/config' }] }],
        },
        [settings],
      ),
    });
    assert.equal((await ended('rocheck', 'w')).exitCode, 1);
    assert.match(await logs('rocheck', 'w'), /Read-only file system/);
    assert.equal(existsSync(join(env.home, 'wasm-pods', status.uid, 'volumes', 'config', 'new.txt')), false);
    await env.runtime.deletePod({ pod: 'rocheck' });
  });

  it('a hostPath is written as the sandbox\'s unprivileged id: where that id may write', async () => {
    const open = mkdtempSync(join(tmpdir(), 'podsmith-hostpath-open-'));
    const closed = mkdtempSync(join(tmpdir(), 'podsmith-hostpath-closed-'));
    try {
      chmodSync(open, 0o777);
      chmodSync(closed, 0o755);
      const status = await env.runtime.runPod({
        manifest: wasmPod('hostpaths', {
          ...never,
          volumes: [
            { name: 'open', hostPath: { path: open, type: 'Directory' } },
            { name: 'closed', hostPath: { path: closed, type: 'Directory' } },
          ],
          containers: [
            { name: 'open', image: IMAGES.tool, command: ['tool.wasm', 'write', '/open/ok.txt', 'yes'], volumeMounts: [{ name: 'open', mountPath: '/open' }] },
            { name: 'closed', image: IMAGES.tool, command: ['tool.wasm', 'write', '/closed/no.txt', 'no'], volumeMounts: [{ name: 'closed', mountPath: '/closed' }] },
          ],
        }),
      });
      assert.equal((await ended('hostpaths', 'open')).exitCode, 0);
      assert.equal((await ended('hostpaths', 'closed')).exitCode, 1);
      assert.match(await logs('hostpaths', 'closed'), /Permission denied/);
      const hostId = JSON.parse(readFileSync(join(env.home, 'wasm-pods', status.uid, 'pod.json'), 'utf8')).sandbox.hostId as number;
      // Root draws it from systemd's range for containers; a rootless engine from its subordinate ids (never 0, the user).
      assert.ok(identity().hostRoot ? hostId >= 524288 : hostId > 0 && hostId < identity().uidCount, `the sandbox's id ${hostId} is an unprivileged one`);
      assert.equal(statSync(join(open, 'ok.txt')).uid, hostId, 'the file belongs to the sandbox id, not to root');
      assert.equal(existsSync(join(closed, 'no.txt')), false);
      await env.runtime.deletePod({ pod: 'hostpaths' });
    } finally {
      rmSync(open, { recursive: true, force: true });
      rmSync(closed, { recursive: true, force: true });
    }
  });

  it('a sandbox that cannot be made, or whose supervisor dies at once, fails run_pod and leaves nothing', async () => {
    const manifest = wasmPod('nosandbox', { ...never, containers: [{ name: 'a', image: IMAGES.hello }] });
    const missing = env.newRuntime({ spare: false, supervisorCommand: () => ({ command: process.execPath, args: ['/app/wasm-supervisor.js'], cwd: '/', binds: [{ source: join(canaryDir, 'none.js'), path: '/app/wasm-supervisor.js' }] }) });
    await assert.rejects(missing.runPod({ manifest }), /none\.js/);
    assert.deepEqual(await env.cleanup(), []);
    const script = join(canaryDir, 'dies.js');
    writeFileSync(script, 'process.stderr.write("the supervisor gives up\\n"); process.exit(3);\n', { mode: 0o644 });
    const dies = env.newRuntime({ spare: false, supervisorCommand: () => ({ command: process.execPath, args: ['/app/wasm-supervisor.js'], cwd: '/', binds: [{ source: script, path: '/app/wasm-supervisor.js' }] }) });
    await assert.rejects(dies.runPod({ manifest }), (e: PodError) => e.code === 'START_FAILED' && /the supervisor exited before the containers ran: the supervisor gives up/.test(e.message));
    assert.deepEqual(await env.cleanup(), []);
    await Promise.all([missing.close(), dies.close()]);
  });

  it('proc_raise can neither stop nor kill the supervisor', async () => {
    const status = await env.runtime.runPod({
      manifest: wasmPod('raiser', {
        ...never,
        containers: [
          { name: 'steady', image: IMAGES.tool, command: ['tool.wasm', 'tick', '50'] },
          { name: 'raise', image: IMAGES.raise },
        ],
      }),
    });
    const raised = await ended('raiser', 'raise', 10_000);
    // SIGSTOP has no effect (nothing could resume the module); SIGKILL ends the module as it would a process.
    assert.equal(await logs('raiser', 'raise'), 'after SIGSTOP\n');
    assert.equal(raised.exitCode, 137);
    assert.equal(raised.signal, 9);
    const pid = JSON.parse(readFileSync(join(env.home, 'wasm-pods', status.uid, 'pod.json'), 'utf8')).supervisor.pid as number;
    assert.notEqual(procStat(pid)?.state, 'T', 'the supervisor is not stopped');
    const now = await env.runtime.podStatus('raiser');
    assert.equal(now.phase, 'Running');
    assert.ok(container(now, 'steady').state.running, 'the other container runs on');
    const ticks = (await logs('raiser', 'steady')).split('\n').length;
    await until('steady to keep ticking', async () => (await logs('raiser', 'steady')).split('\n').length > ticks);
    await env.runtime.deletePod({ pod: 'raiser' });
  });

  it('one huge fd_write is a short write and the supervisor lives on', async () => {
    await env.runtime.runPod({
      manifest: wasmPod('flood', {
        ...never,
        containers: [
          { name: 'steady', image: IMAGES.tool, command: ['tool.wasm', 'serve'] },
          { name: 'flood', image: IMAGES.bigwrite },
        ],
      }),
    });
    const flood = await ended('flood', 'flood', 60_000);
    assert.equal(flood.exitCode, 0, `fd_write of 544 MiB: ${flood.reason} ${flood.message ?? ''} (exit 1: written whole, 2: failed)`);
    const now = await env.runtime.podStatus('flood');
    assert.equal(now.phase, 'Running');
    assert.ok(container(now, 'steady').state.running, 'the other container runs on');
    await env.runtime.deletePod({ pod: 'flood' });
  });

  it('refuses two mounts at one path in a container, naming both', async () => {
    const settings = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { 'a.txt': 'from the configMap' } };
    const volumes = [
      { name: 'scratch', emptyDir: {} },
      { name: 'config', configMap: { name: 'settings' } },
    ];
    // Indices marked read-only would shift: the configMap would be writable through the emptyDir's slot.
    for (const second of ['/data', '/data/', '//data']) {
      const manifest = wasmPod(
        'twomounts',
        {
          ...never,
          volumes,
          containers: [
            {
              name: 'writer',
              image: IMAGES.tool,
              command: ['tool.wasm', 'write', '/data/new.txt', 'written'],
              volumeMounts: [
                { name: 'scratch', mountPath: '/data' },
                { name: 'config', mountPath: second },
              ],
            },
          ],
        },
        [settings],
      );
      await assert.rejects(env.runtime.runPod({ manifest, fileName: 'twomounts.yaml' }), (e: PodError) => {
        assert.equal(e.code, 'INVALID');
        assert.match(e.message, /container "writer": volumeMounts "scratch" and "config" both mount at \/data/);
        return true;
      });
    }
    assert.deepEqual(await env.runtime.listPods(), []);
  });
});
