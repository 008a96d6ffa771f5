// Rootless pods end to end: the real CLI run as an unprivileged user (podsmith-test) from outside any user
// namespace, as a terminal or the editor runs it. The daemon starts in the user's namespace (their
// subordinate range mapped), runs a pod from an image whose files belong to uid 1000 as uid 1000, serves a
// hostPort and a port-forward through pasta and the user's namespace, says which limits it cannot enforce,
// comes back after a daemon restart in the same namespace, refuses a privileged port naming the sysctl,
// keeps its pods apart from root's, and leaves nothing behind. A single-id namespace (no range) is
// exercised too: what it can run, and the clear refusal of what it cannot.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { whyNoNativePods } from '../pods/fixtures';
import { LeakTracker, liveIdleSpares } from '../support/leaks';
import { buildPrograms, IMAGES, wasmArtifactLayout, wasmPod } from '../wasm/fixtures';
import { ownedImageLayout, testUser, userDir, UserCli, type TestUser } from './support';

const found = testUser();
const skip = typeof found === 'string' ? found : whyNoNativePods();
const OWNED = 'podsmith.test/owned:1';
const SINGLE = ['unshare', '--user', '--map-root-user', '--mount', '--propagation', 'private', '--'];

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

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end();
  });
}

/** Polls what sends no event (another user's server starting to listen), with a deadline. */
async function eventually<T>(what: string, fn: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

const nsOf = (pid: number, type: string) => readlinkSync(`/proc/${pid}/ns/${type}`);
const pidIn = (file: string) => Number(readFileSync(file, 'utf8').trim());

describe('rootless pods, as an unprivileged user', { skip }, () => {
  const user = found as TestUser;
  let home: string;
  let cli: UserCli;
  let hostPort: number;
  let forwardPort: number;
  let work: string;

  before(async () => {
    home = join(userDir(user, 'psr-'), 'h');
    work = userDir(user, 'psr-files-');
    chmodSync(work, 0o755);
    cli = new UserCli(user, home);
    hostPort = await freePort();
    forwardPort = await freePort();
    const layout = await ownedImageLayout(join(work, 'owned'));
    spawnChown(work, user);
    const load = await cli.run(['load', '-i', layout, '--name', OWNED]);
    assert.equal(load.code, 0, load.stderr);
    writeFileSync(
      join(work, 'web.yaml'),
      `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  terminationGracePeriodSeconds: 2
  volumes:
    - name: shared
      emptyDir: {}
  initContainers:
    - name: prepare
      image: ${OWNED}
      command: ["sh", "-c", "echo prepared by $(id -u) > /shared/ready"]
      volumeMounts:
        - name: shared
          mountPath: /shared
  containers:
    - name: web
      image: ${OWNED}
      command: ["sh", "-c", "echo served-as-$(id -u) > /data/index.html; echo started; exec httpd -f -p 8080 -h /data"]
      volumeMounts:
        - name: shared
          mountPath: /shared
      ports:
        - containerPort: 8080
          hostPort: ${hostPort}
      resources:
        limits:
          memory: 64Mi
          cpu: 200m
`,
    );
    chmodSync(join(work, 'web.yaml'), 0o644);
  });

  after(async () => {
    if (!cli) return;
    await cli.run(['rm', '-f', 'web']);
    await cli.run(['daemon', 'stop']);
    rmSync(join(home, '..'), { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('runs a pod whose image files belong to uid 1000 as uid 1000, and says which limits it cannot enforce', async () => {
    const r = await cli.run(['run', '-f', join(work, 'web.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^pod\/web Running/m);
    assert.match(r.stderr, /warning: pod\/web: limits not enforced \(rootless, .*\): memory 64Mi \(web\), cpu 200m \(web\), pids 4096 \(the pod\)/);
    const id = await cli.run(['exec', 'web', '--', 'sh', '-c', 'id -u; stat -c %u:%g /data/seed; cat /data/seed /shared/ready']);
    assert.equal(id.code, 0, id.stderr);
    assert.equal(id.stdout, '1000\n1000:1000\nseeded by the image\nprepared by 1000\n');
    // On the host, the unpacked file belongs to the user's subordinate id for 1000.
    const layers = join(home, 'images', 'layers');
    const seeds = readdirSync(layers).map((l) => join(layers, l, 'root', 'data', 'seed')).filter((p) => {
      try {
        return statSync(p).isFile();
      } catch {
        return false;
      }
    });
    assert.equal(seeds.length, 1);
    assert.equal(statSync(seeds[0]).uid, user.subuid + 999);
    const describe = await cli.run(['describe', 'web']);
    assert.match(describe.stdout, /Warnings:\n  limits not enforced \(rootless/);
  });

  it('serves its hostPort through pasta, forwards a port into it and answers exec with a terminal', async () => {
    assert.equal(await eventually('the hostPort', () => get(hostPort)), 'served-as-1000\n');
    const pf = cli.spawn(['port-forward', 'web', `${forwardPort}:8080`]);
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        pf.stdout!.setEncoding('utf8').on('data', (s: string) => {
          out += s;
          if (out.includes('Forwarding from')) resolve();
        });
        pf.once('exit', (code) => reject(new Error(`port-forward exited (${code})`)));
      });
      assert.equal(await get(forwardPort), 'served-as-1000\n');
    } finally {
      pf.kill('SIGINT');
    }
    const tty = await cli.run(['exec', '-t', 'web', '--', 'sh', '-c', 'tty; id -u']);
    assert.equal(tty.code, 0, tty.stderr);
    assert.match(tty.stdout, /^\/dev\/pts\/\d+\r\n1000\r\n$/);
    const logs = await cli.run(['logs', 'web']);
    assert.match(logs.stdout, /^started$/m);
  });

  it('runs the daemon in the user namespace, where the next daemon finds the pod again', async () => {
    const pod = JSON.parse((await cli.run(['ps', '-o', 'json'])).stdout) as { items?: { metadata: { uid: string } }[] } | { metadata: { uid: string } }[];
    const items = Array.isArray(pod) ? pod : (pod.items ?? []);
    const uid = items[0].metadata.uid;
    const first = pidIn(join(home, 'run', 'daemon.pid'));
    const conmon = pidIn(join(home, 'pods', uid, 'pause', 'conmon.pid'));
    assert.equal(nsOf(first, 'user'), nsOf(conmon, 'user'), 'the daemon and the pod share the user namespace');
    assert.notEqual(nsOf(first, 'user'), nsOf(process.pid, 'user'));
    assert.match(readFileSync(`/proc/${first}/uid_map`, 'utf8'), new RegExp(`^\\s*0\\s+${user.uid}\\s+1\\n\\s*1\\s+${user.subuid}\\s+65536\\n$`));
    assert.equal((await cli.run(['daemon', 'stop'])).code, 0);
    const ps = await cli.run(['ps']);
    assert.match(ps.stdout, /web\s+1\/1\s+Running/);
    const second = pidIn(join(home, 'run', 'daemon.pid'));
    assert.notEqual(second, first);
    assert.equal(nsOf(second, 'user'), nsOf(conmon, 'user'));
    assert.equal(nsOf(second, 'mnt'), nsOf(conmon, 'mnt'), 'the overlays it must unmount are in its mount namespace');
  });

  it("keeps the user's pods and root's apart", async () => {
    const rootHome = userDir({ ...user, uid: 0, gid: 0 }, 'psr-root-');
    try {
      const env = { ...process.env, PODSMITH_HOME: rootHome };
      const { main } = await import('../../engine/cli/main');
      let out = '';
      const saved = process.env.PODSMITH_HOME;
      process.env.PODSMITH_HOME = env.PODSMITH_HOME;
      try {
        await main(['ps', '-a'], { out: (s) => void (out += s), err: () => {} });
        await main(['daemon', 'stop'], { out: () => {}, err: () => {} });
      } finally {
        if (saved === undefined) delete process.env.PODSMITH_HOME;
        else process.env.PODSMITH_HOME = saved;
      }
      assert.doesNotMatch(out, /\bweb\b/);
      const denied = await cli.run(['ps'], { env: { PODSMITH_HOME: rootHome } });
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /permission denied|EACCES|another user/i);
    } finally {
      rmSync(rootHome, { recursive: true, force: true });
    }
  });

  it('refuses a hostPort below the unprivileged port start, naming the sysctl, and leaves nothing', async () => {
    writeFileSync(join(work, 'low.yaml'), `apiVersion: v1\nkind: Pod\nmetadata:\n  name: low\nspec:\n  containers:\n    - name: c\n      image: podsmith.local/busybox:1\n      command: ["sleep", "60"]\n      ports:\n        - containerPort: 80\n          hostPort: 80\n`);
    chmodSync(join(work, 'low.yaml'), 0o644);
    const r = await cli.run(['run', '-f', join(work, 'low.yaml')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /hostPort 80\/TCP is below net\.ipv4\.ip_unprivileged_port_start \(\d+\): a rootless engine cannot bind it/);
    assert.doesNotMatch((await cli.run(['ps', '-a'])).stdout, /\blow\b/);
  });

  it('runs a wasm pod in a sandbox whose id comes from the subordinate range', async () => {
    const programs = await buildPrograms();
    const layout = wasmArtifactLayout(join(work, 'hello-wasm'), programs.hello, 'application/vnd.wasm.content.layer.v1+wasm', 'hello.wasm');
    spawnChown(work, user);
    assert.equal((await cli.run(['load', '-i', layout, '--name', IMAGES.hello])).code, 0);
    writeFileSync(join(work, 'wasm.yaml'), wasmPod('hi', { restartPolicy: 'Never', containers: [{ name: 'hello', image: IMAGES.hello }] }));
    chmodSync(join(work, 'wasm.yaml'), 0o644);
    const r = await cli.run(['run', '-f', join(work, 'wasm.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    const record = JSON.parse(readFileSync(join(home, 'wasm-pods', readdirSync(join(home, 'wasm-pods'))[0], 'pod.json'), 'utf8')) as { sandbox: { hostId: number } };
    assert.ok(record.sandbox.hostId > 0 && record.sandbox.hostId <= 65536, `sandbox id ${record.sandbox.hostId} is one of the range's`);
    await eventually('the module to finish', async () => {
      const logs = await cli.run(['logs', 'hi']);
      if (!/hello/i.test(logs.stdout)) throw new Error(logs.stdout || logs.stderr);
    });
    assert.equal((await cli.run(['rm', '-f', 'hi'])).code, 0);
  });

  it('deletes the pod and leaves nothing: no container, process, mount or state', async () => {
    const daemon = pidIn(join(home, 'run', 'daemon.pid'));
    const leaks = new LeakTracker(home);
    assert.equal((await cli.run(['rm', 'web'])).code, 0);
    assert.deepEqual(await leaks.check(), []);
    // The pods' mounts live in the user's mount namespace: the daemon's view shows none left under the home.
    // The daemon's idle wasm spare (its slot) is the daemon's own, not a pod's.
    const spares = [...liveIdleSpares(home)];
    const mounts = readFileSync(`/proc/${daemon}/mountinfo`, 'utf8')
      .split('\n')
      .filter((l) => l.split(' ')[4]?.startsWith(home + '/') && !spares.some((id) => l.includes(id)));
    assert.deepEqual(mounts, []);
    const doctor = await cli.run(['doctor']);
    assert.equal(doctor.code, 0, doctor.stdout);
    assert.match(doctor.stdout, /^user namespaces\s+ok\s+pods run in your user namespace/m);
    assert.match(doctor.stdout, /^cgroup delegation\s+(ok|warn)\s+/m);
  });
});

describe('rootless pods with a single id (no subordinate range)', { skip }, () => {
  const user = found as TestUser;
  let home: string;
  let cli: UserCli;
  let work: string;

  before(async () => {
    home = join(userDir(user, 'psr1-'), 'h');
    work = userDir(user, 'psr1-files-');
    chmodSync(work, 0o755);
    cli = new UserCli(user, home);
    await ownedImageLayout(join(work, 'owned'));
    spawnChown(work, user);
    assert.equal((await cli.run(['load', '-i', join(work, 'owned'), '--name', OWNED], { prefix: SINGLE })).code, 0);
  });

  after(async () => {
    if (!cli) return;
    await cli.run(['rm', '-f', 'asroot'], { prefix: SINGLE });
    await cli.run(['daemon', 'stop'], { prefix: SINGLE });
    rmSync(join(home, '..'), { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('runs an image as root with its files squashed to root, and refuses another user naming what is missing', async () => {
    const pod = (name: string, extra: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n    - name: c\n      image: ${OWNED}\n      command: ["sh", "-c", "stat -c %u /data/seed; id -u; sleep 60"]\n${extra}`;
    writeFileSync(join(work, 'asroot.yaml'), pod('asroot', '      securityContext:\n        runAsUser: 0\n        runAsGroup: 0\n'));
    writeFileSync(join(work, 'asapp.yaml'), pod('asapp', ''));
    for (const f of ['asroot.yaml', 'asapp.yaml']) chmodSync(join(work, f), 0o644);
    const ok = await cli.run(['run', '-f', join(work, 'asroot.yaml')], { prefix: SINGLE });
    assert.equal(ok.code, 0, ok.stderr);
    await eventually('its output', async () => {
      const logs = await cli.run(['logs', 'asroot'], { prefix: SINGLE });
      assert.equal(logs.stdout, '0\n0\n');
    });
    const refused = await cli.run(['run', '-f', join(work, 'asapp.yaml')], { prefix: SINGLE });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /runs as uid 1000, but this rootless engine has no subordinate ids: only root \(uid 0\) exists in the pods' user namespace/);
    assert.doesNotMatch((await cli.run(['ps', '-a'], { prefix: SINGLE })).stdout, /asapp/);
    const leaks = new LeakTracker(home);
    assert.equal((await cli.run(['rm', '-f', 'asroot'], { prefix: SINGLE })).code, 0);
    assert.deepEqual(await leaks.check(), []);
  });
});

/** Gives what root wrote for the user to the user (layouts, manifests). */
function spawnChown(dir: string, user: TestUser): void {
  chownSync(dir, user.uid, user.gid);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) spawnChown(p, user);
    else chownSync(p, user.uid, user.gid);
  }
}
