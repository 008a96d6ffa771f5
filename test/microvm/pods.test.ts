// Real microVM pods under TCG (these machines have no usable KVM): each pod boots Debian's kernel in QEMU with
// Podsmith's initramfs and agent, and runs its containers with runc inside the guest. Kept to a few VMs, each
// doing several checks, because a boot takes seconds here.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { connect, createServer } from 'node:net';
import { release } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { openPodSide, type PodSideDaemon } from '../../engine/network/pod-side';
import { startPortForwardVia } from '../../engine/network/port-forward';
import { VmPodPaths } from '../../engine/pods/microvm';
import { routePods } from '../../engine/pods/router';
import type { VmPodRecord } from '../../engine/pods/microvm/records';
import type { ExecSession, PodRuntime } from '../../engine/pods/runtime';
import { PodError, type PodEvent, type PodStatus } from '../../engine/pods/types';
import { isAlive } from '../../engine/runtime/processes';
import { IMAGE, until, vmTestEnv, whyNoMicrovm, type VmTestEnv } from './support';

const skip = whyNoMicrovm();

function manifest(name: string, spec: Record<string, unknown>, annotations: Record<string, string> = { 'podsmith.io/network': 'none' }): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations }, spec: { runtimeClassName: 'pod-microvm', terminationGracePeriodSeconds: 2, ...spec } });
}

async function collect(s: Readable | undefined): Promise<string> {
  if (!s) return '';
  let out = '';
  for await (const c of s) out += String(c);
  return out;
}

async function run(rt: PodRuntime, pod: string, command: string[], o: { container?: string; tty?: boolean } = {}): Promise<{ code: number; out: string; err: string }> {
  const x: ExecSession = await rt.exec({ pod, ...(o.container ? { container: o.container } : {}), command, tty: o.tty === true, stdin: false });
  const [out, err, code] = await Promise.all([collect(x.stdout), collect(x.stderr), x.exit]);
  return { code, out, err };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function httpGet(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += String(c)));
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });
}

/** The daemon's answers, from the runtime behind the daemon's router (the router says whether a pod dials). */
function daemonLike(rt: PodRuntime): PodSideDaemon {
  const router = routePods([{ classes: ['pod-microvm-containers'], runtime: rt }]);
  return { podNetns: (p) => router.podNetns!(p), dial: (p, port) => router.dial!(p, port), getPod: (p) => router.podStatus(p) };
}

/** Sends `text` through a forwarded port, half-closes, and returns what came back. */
function echoed(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let got = '';
    s.on('data', (c) => (got += String(c)));
    s.on('end', () => resolve(got));
    s.on('error', reject);
    s.end(text);
  });
}

/** The forward accepts and then closes the connection (the pod side refused it). */
function refusedBy(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.on('error', () => undefined);
    s.on('close', () => resolve());
  });
}

function record(home: string, uid: string): VmPodRecord {
  return JSON.parse(readFileSync(new VmPodPaths(home, uid).podFile, 'utf8')) as VmPodRecord;
}

async function logText(rt: PodRuntime, pod: string, container: string): Promise<string> {
  return collect(await rt.logs({ pod, container }));
}

describe('microVM pods (pod-microvm-containers)', { skip }, () => {
  let env: VmTestEnv;

  before(async () => {
    // Booted VMs (the fallback path; template.test.ts covers clones, the daemon's crash tests run clones too).
    env = await vmTestEnv({ templates: false });
  });
  after(async () => {
    if (env) {
      assert.deepEqual(await env.cleanup(), []);
      await env.dispose();
    }
  });

  it('runs a pod in one VM: shared loopback, the guest kernel, a hostPort through passt, probes, hooks, restarts, a sidecar, exec with exit codes and a tty, logs, port-forward, a restarted daemon, stop and delete', async (t) => {
    const hostPort = await freePort();
    const status = await env.runtime.runPod({
      manifest: manifest(
        'twins',
        {
          initContainers: [{ name: 'sidecar', image: IMAGE, restartPolicy: 'Always', command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'] }],
          containers: [
            {
              name: 'web',
              image: IMAGE,
              command: ['sh', '-c', 'mkdir -p /www && echo hello-from-web > /www/index.html && echo web up on $(uname -r) && exec httpd -f -p 8080 -h /www'],
              ports: [{ containerPort: 8080, hostPort }],
              readinessProbe: { httpGet: { path: '/index.html', port: 8080 }, periodSeconds: 1 },
              livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 2 },
              lifecycle: { postStart: { exec: { command: ['sh', '-c', 'echo hooked > /tmp/poststart'] } } },
            },
            { name: 'client', image: IMAGE, command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.2; done'] },
            // An echo server on the VM's loopback only (no containerPort): for port-forward.
            { name: 'echo', image: IMAGE, command: ['nc', '-ll', '-p', '9000', '-e', 'cat'] },
            { name: 'blinker', image: IMAGE, command: ['sh', '-c', 'echo blink; sleep 1; exit 3'] },
          ],
        },
        {},
      ),
      fileName: 'twins.json',
    });
    assert.equal(status.phase, 'Running');
    assert.equal(status.runtimeClassName, 'pod-microvm-containers');
    assert.match(status.isolation ?? '', /^microVM \(QEMU (TCG|KVM)/);
    if (/TCG/.test(status.isolation ?? '')) assert.match(status.isolation!, /software emulation: a VM boundary without hardware acceleration/);
    const vm = record(env.home, status.uid).vm!;
    assert.ok(isAlive(vm.pid, vm.startTime), 'QEMU runs');

    // The containers share the VM's loopback: the client reaches the web container's server on 127.0.0.1.
    const fetched = await until('the web server to answer', async () => {
      const r = await run(env.runtime, 'twins', ['wget', '-q', '-O-', 'http://127.0.0.1:8080/'], { container: 'client' });
      return r.code === 0 ? r.out : undefined;
    });
    assert.equal(fetched, 'hello-from-web\n');
    // passt serves the hostPort on the host and carries it into the guest.
    assert.equal(await until('the hostPort to answer', () => httpGet(hostPort)), 'hello-from-web\n');
    // The readiness probe (httpGet) runs in the guest and flips the container ready; the postStart hook ran.
    await until('web to be ready', async () => ((await env.runtime.podStatus('twins')).containerStatuses.find((c) => c.name === 'web')!.ready ? true : undefined));
    assert.equal((await run(env.runtime, 'twins', ['cat', '/tmp/poststart'], { container: 'web' })).out, 'hooked\n');
    // A sidecar runs beside the apps; a container that exits is restarted (restartPolicy Always).
    const sidecar = (await env.runtime.podStatus('twins')).initContainerStatuses[0];
    assert.ok(sidecar.state.running && sidecar.started, JSON.stringify(sidecar));
    const blinker = await until('the blinker to be restarted', async () => {
      const c = (await env.runtime.podStatus('twins')).containerStatuses.find((x) => x.name === 'blinker')!;
      return c.restartCount >= 1 ? c : undefined;
    });
    assert.equal(blinker.lastState.terminated?.exitCode ?? blinker.state.terminated?.exitCode, 3);
    // They see the guest's kernel, not the host's.
    const uname = await run(env.runtime, 'twins', ['uname', '-r']);
    assert.equal(uname.code, 0);
    assert.equal(uname.out.trim(), vm.kernel);
    assert.notEqual(uname.out.trim(), release());
    // exec: the command's exit code and both streams; 127 for a command that does not exist.
    const mixed = await run(env.runtime, 'twins', ['sh', '-c', 'echo out; echo err >&2; exit 7'], { container: 'client' });
    assert.deepEqual(mixed, { code: 7, out: 'out\n', err: 'err\n' });
    const missing = await run(env.runtime, 'twins', ['no-such-command'], { container: 'client' });
    assert.equal(missing.code, 127);
    assert.match(missing.out + missing.err, /no-such-command/);
    // With a tty the command has a terminal.
    const tty = await run(env.runtime, 'twins', ['sh', '-c', 'tty; stty size'], { tty: true });
    assert.equal(tty.code, 0);
    assert.match(tty.out, /\/dev\/pts\/\d+\r?\n24 80/);
    // Logs are the same CRI files native pods have.
    assert.match(await logText(env.runtime, 'twins', 'web'), new RegExp(`web up on ${vm.kernel.replace(/\./g, '\\.')}`));

    // port-forward: the runtime answers that the pod has no namespace here but dials, and the agent connects
    // to the guest's loopback: an HTTP reply, two echo connections at once, a refused port said plainly (the
    // forward lives on).
    const errors: string[] = [];
    const side = await openPodSide(daemonLike(env.runtime), 'twins');
    assert.ok(side.dial, 'a microVM pod is reached by dialing');
    const fwd = await startPortForwardVia(side, [{ local: 0, remote: 8080 }, { local: 0, remote: 9000 }, { local: 0, remote: 9999 }], { onConnectionError: (_p, m) => errors.push(m) });
    const [web, echo, nothing] = fwd.ports;
    assert.equal(await httpGet(web.local), 'hello-from-web\n');
    assert.deepEqual(await Promise.all(['one', 'two'].map((w) => echoed(echo.local, w.repeat(50_000)))), ['one'.repeat(50_000), 'two'.repeat(50_000)]);
    await refusedBy(nothing.local);
    assert.deepEqual(errors, ['pod port 9999: connection refused: nothing listens on port 9999 in the pod (127.0.0.1 or ::1)']);
    assert.equal(await echoed(echo.local, 'still forwarding'), 'still forwarding');
    const started = performance.now();
    for (let i = 0; i < 5; i++) await echoed(echo.local, 'x');
    t.diagnostic(`one forwarded connection (connect, echo a byte, close): ${((performance.now() - started) / 5).toFixed(1)} ms`);
    await fwd.close();

    // A restarted daemon finds the VM, reconnects to its agent and goes on.
    const next = env.newRuntime();
    await env.runtime.close();
    await next.reconcile();
    const again = await next.podStatus('twins');
    assert.equal(again.phase, 'Running');
    assert.equal((await run(next, 'twins', ['cat', '/www/index.html'], { container: 'web' })).out, 'hello-from-web\n');

    // A forward through the new runtime ends when the pod stops.
    const later = await startPortForwardVia(await openPodSide(daemonLike(next), 'twins', { watchIntervalMs: 200 }), [{ local: 0, remote: 9000 }]);
    assert.equal(await echoed(later.ports[0].local, 'after the restart'), 'after the restart');

    // stop: the containers end within the grace period, the VM powers off, the pod stays for status and logs.
    const stopped = await next.stopPod({ pod: 'twins' });
    assert.match((await later.done).reason, /pod twins stopped \(its VM is gone\)/);
    assert.ok(stopped.phase === 'Succeeded' || stopped.phase === 'Failed', stopped.phase);
    for (const c of stopped.containerStatuses) assert.ok(c.state.terminated, `${c.name}: ${JSON.stringify(c.state)}`);
    assert.equal(stopped.containerStatuses.find((c) => c.name === 'client')!.state.terminated!.exitCode, 0);
    assert.ok(stopped.initContainerStatuses[0].state.terminated, 'the sidecar stopped too');
    assert.equal(await httpGet(hostPort), undefined, 'the hostPort is closed with the VM');
    await until('QEMU to exit', () => (isAlive(vm.pid, vm.startTime) ? undefined : true), 30_000);
    assert.match(await logText(next, 'twins', 'web'), /web up/);
    await assert.rejects(run(next, 'twins', ['true']), (e: PodError) => e.code === 'NOT_RUNNING');
    await next.deletePod({ pod: 'twins' });
    await assert.rejects(next.podStatus('twins'), (e: PodError) => e.code === 'NOT_FOUND');
    assert.deepEqual(await env.leaks.check(), []);
  });

  it('runs an init container first and reports an OOM kill inside the VM', async () => {
    const rt = env.newRuntime();
    const status = await rt.runPod({
      manifest: manifest('oomer', {
        restartPolicy: 'Never',
        volumes: [{ name: 'data', emptyDir: {} }],
        initContainers: [{ name: 'prepare', image: IMAGE, command: ['sh', '-c', 'echo prepared > /data/note; echo init done'], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        containers: [
          {
            name: 'hog',
            image: IMAGE,
            // tail keeps a whole "line" of /dev/zero in memory: far past the limit.
            command: ['sh', '-c', 'cat /data/note; sleep 1; head -c 400m /dev/zero | tail > /dev/null'],
            resources: { limits: { memory: '48Mi' } },
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
      }),
    });
    assert.equal(status.phase, 'Running');
    const init = status.initContainerStatuses[0];
    assert.equal(init.state.terminated?.exitCode, 0);
    assert.equal(init.state.terminated?.reason, 'Completed');
    const done: PodStatus = await until('the hog to be killed', async () => {
      const s = await rt.podStatus('oomer');
      return s.containerStatuses[0].state.terminated ? s : undefined;
    });
    const t = done.containerStatuses[0].state.terminated!;
    assert.equal(t.reason, 'OOMKilled');
    assert.equal(t.exitCode, 137);
    assert.equal(done.phase, 'Failed');
    assert.match(await logText(rt, 'oomer', 'hog'), /prepared/);
    assert.match(await logText(rt, 'oomer', 'prepare'), /init done/);
    await rt.deletePod({ pod: 'oomer', force: true });
    assert.deepEqual(await env.leaks.check(), []);
  });

  it('shareProcessNamespace: one PID namespace held by catatonit, without the agent; a subPath into a memory emptyDir, refused once a container plants a symlink there', async () => {
    const rt = env.newRuntime();
    const status = await rt.runPod({
      manifest: manifest('sharer', {
        shareProcessNamespace: true,
        volumes: [{ name: 'mem', emptyDir: { medium: 'Memory' } }],
        containers: [
          { name: 'writer', image: IMAGE, command: ['sh', '-c', 'mkdir -p /vol/data && echo from-writer > /vol/data/note && exec sleep 1000'], volumeMounts: [{ name: 'mem', mountPath: '/vol' }] },
          { name: 'reader', image: IMAGE, command: ['sleep', '1001'], volumeMounts: [{ name: 'mem', mountPath: '/sub', subPath: 'data' }] },
        ],
      }),
    });
    assert.equal(status.phase, 'Running');
    // One PID namespace for both: PID 1 is the holder, the other container's process is there, the agent is not.
    const ps = await run(rt, 'sharer', ['ps', '-o', 'pid,args'], { container: 'writer' });
    assert.equal(ps.code, 0, ps.err);
    assert.match(ps.out, /^\s*1\s+\/usr\/bin\/catatonit -P$/m);
    assert.match(ps.out, /^\s*\d+\s+sleep 1001$/m, 'the reader is visible to the writer');
    assert.doesNotMatch(ps.out, /node|agent|crun|runc/, 'nothing of the guest outside the pod is visible');
    assert.equal((await run(rt, 'sharer', ['cat', '/proc/1/cmdline'], { container: 'reader' })).out, '/usr/bin/catatonit\0-P\0');
    // The reader sees the writer's file through its subPath, and writes back.
    assert.equal(await until('the note through the subPath', async () => {
      const r = await run(rt, 'sharer', ['cat', '/sub/note'], { container: 'reader' });
      return r.code === 0 ? r.out : undefined;
    }), 'from-writer\n');
    assert.equal((await run(rt, 'sharer', ['sh', '-c', 'echo from-reader > /sub/back'], { container: 'reader' })).code, 0);
    assert.equal((await run(rt, 'sharer', ['cat', '/vol/data/back'], { container: 'writer' })).out, 'from-reader\n');

    // The attack: the writer replaces the subPath directory with a symlink to the guest's root, then kills the
    // reader (it can: they share the namespace) so that it restarts through the symlink.
    const plant = await run(rt, 'sharer', ['sh', '-c', 'rm -rf /vol/data && ln -s / /vol/data && kill $(ps -o pid,args | awk \'$2 == "sleep" && $3 == "1001" { print $1 }\')'], { container: 'writer' });
    assert.equal(plant.code, 0, plant.out + plant.err);
    const reader = await until('the reader restart to be refused', async () => {
      const c = (await rt.podStatus('sharer')).containerStatuses.find((x) => x.name === 'reader')!;
      return c.lastState.terminated?.reason === 'StartError' ? c : undefined;
    }, 60_000);
    assert.match(reader.lastState.terminated!.message ?? '', /container "reader": subPath "data" of volume "mem" is refused: a symlink/);
    assert.ok(!reader.state.running, JSON.stringify(reader.state));
    // Nothing started with the guest's root mounted: no reader process, and exec into it is refused.
    assert.doesNotMatch((await run(rt, 'sharer', ['ps', '-o', 'args'], { container: 'writer' })).out, /sleep 1001/);
    await assert.rejects(run(rt, 'sharer', ['ls', '/sub/run'], { container: 'reader' }));
    await rt.deletePod({ pod: 'sharer', force: true });
    assert.deepEqual(await env.leaks.check(), []);
  });

  it('a VM killed from outside turns the pod Failed with a reason, and exec is refused at once', async () => {
    const rt = env.newRuntime();
    const status = await rt.runPod({ manifest: manifest('victim', { containers: [{ name: 'main', image: IMAGE, command: ['sleep', '1000'] }] }) });
    const vm = record(env.home, status.uid).vm!;
    process.kill(vm.pid, 'SIGKILL');
    const failed = await until('the pod to fail', async () => {
      const s = await rt.podStatus('victim');
      return s.phase === 'Failed' ? s : undefined;
    }, 30_000);
    assert.equal(failed.reason, 'VMExited');
    assert.match(failed.message ?? '', /QEMU\) exited/);
    assert.equal(failed.containerStatuses[0].state.terminated?.reason, 'ContainerStatusUnknown');
    await assert.rejects(run(rt, 'victim', ['true']), (e: PodError) => e.code === 'NOT_RUNNING');
    await rt.deletePod({ pod: 'victim' });
    assert.deepEqual(await env.leaks.check(), []);
  });

  it('a guest kernel panic ends an exec with 137 and turns the pod Failed (GuestKernelPanic)', async () => {
    const rt = env.newRuntime();
    await rt.runPod({ manifest: manifest('panicky', { containers: [{ name: 'main', image: IMAGE, command: ['sleep', '1000'], securityContext: { privileged: true } }] }) });
    const r = await run(rt, 'panicky', ['sh', '-c', 'echo c > /proc/sysrq-trigger']);
    assert.equal(r.code, 137);
    const failed = await until('the pod to fail', async () => {
      const s = await rt.podStatus('panicky');
      return s.phase === 'Failed' ? s : undefined;
    }, 30_000);
    assert.equal(failed.reason, 'GuestKernelPanic');
    await rt.deletePod({ pod: 'panicky' });
    assert.deepEqual(await env.leaks.check(), []);
  });

  it('a disk emptyDir past its sizeLimit gets the pod evicted from the host side, by a restarted daemon too, and it stays Evicted', async () => {
    const first = env.newRuntime({ volumeUsageIntervalMs: 200 });
    const status = await first.runPod({
      manifest: manifest('filler', {
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: 30,
        volumes: [{ name: 'scratch', emptyDir: { sizeLimit: '2Mi' } }],
        containers: [{ name: 'main', image: IMAGE, command: ['sleep', '1000'], volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }],
      }),
    });
    const vm = record(env.home, status.uid).vm!;
    // The daemon goes; the next one measures the running pod again.
    await first.close();
    const rt = env.newRuntime({ volumeUsageIntervalMs: 200 });
    const events: PodEvent[] = [];
    const stopEvents = rt.watch((e) => events.push(e));
    await rt.reconcile();
    // The exec may end with the VM (137): what matters is the pod.
    await run(rt, 'filler', ['dd', 'if=/dev/zero', 'of=/scratch/fill', 'bs=1024', 'count=3072']);
    const failed = await until('the pod to be evicted', async () => {
      const s = await rt.podStatus('filler');
      return s.phase === 'Failed' ? s : undefined;
    }, 60_000);
    const message = 'Usage of EmptyDir volume "scratch" exceeds the limit "2Mi".';
    assert.equal(failed.reason, 'Evicted');
    assert.equal(failed.message, message);
    assert.equal(failed.containerStatuses[0].state.terminated?.exitCode, 137, 'killed at once, not restarted, without its 30 s grace');
    assert.ok(!isAlive(vm.pid, vm.startTime), 'the VM was killed');
    const event = events.find((e) => e.type === 'pod' && e.reason === 'Evicted');
    assert.ok(event && event.type === 'pod' && event.phase === 'Failed' && event.message === message, JSON.stringify(events));
    stopEvents();
    const volume = join(new VmPodPaths(env.home, status.uid).out, 'volumes', 'scratch');
    assert.deepEqual(readdirSync(volume), [], "the evicted pod's emptyDir is emptied, freeing the disk");
    const later = env.newRuntime();
    await later.reconcile();
    const still = await later.podStatus('filler');
    assert.equal(still.phase, 'Failed');
    assert.equal(still.reason, 'Evicted');
    await later.deletePod({ pod: 'filler' });
    assert.deepEqual(await env.leaks.check(), []);
  });

  it('a guest that stops answering is killed and its pod Failed (GuestUnresponsive); the client is never left hanging', async () => {
    const rt = env.newRuntime({ deadAfterMs: 4000 });
    const status = await rt.runPod({ manifest: manifest('frozen', { containers: [{ name: 'main', image: IMAGE, command: ['sleep', '1000'] }] }) });
    const vm = record(env.home, status.uid).vm!;
    // A stopped QEMU answers nothing, as a hung guest would.
    process.kill(vm.pid, 'SIGSTOP');
    const failed = await until('the pod to fail', async () => {
      const s = await rt.podStatus('frozen');
      return s.phase === 'Failed' ? s : undefined;
    }, 60_000);
    assert.equal(failed.reason, 'GuestUnresponsive');
    assert.ok(!isAlive(vm.pid, vm.startTime), 'the frozen VM was killed');
    await rt.deletePod({ pod: 'frozen' });
    assert.deepEqual(await env.leaks.check(), []);
  });
});
