// Proof that a real runtime accepts the generated configs: runs busybox bundles with runc (Debian's 1.1.5
// here), a pod-like pair included. Skipped where runc, root or a static busybox is missing.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildBundleConfig,
  capabilitiesFromMask,
  parseProcLimits,
  writeBundle,
  type BundleInput,
} from '../../../engine/image/bundle';
import { GROUP, PASSWD, POD, image } from './fixtures';

const BUSYBOX = '/bin/busybox';

function whyNot(): string | undefined {
  if (process.platform !== 'linux') return 'runc needs Linux';
  if (spawnSync('runc', ['--version']).status !== 0) return 'runc is not installed (apt-get install runc)';
  if (process.getuid?.() !== 0) return 'runc needs root here';
  if (
    !existsSync(BUSYBOX) ||
    !/statically linked|static-pie/.test(spawnSync('file', [BUSYBOX], { encoding: 'utf8' }).stdout ?? '')
  )
    return 'no static busybox (apt-get install busybox-static)';
  return undefined;
}
const skip = whyNot();

describe('runc accepts the generated bundles', { skip }, () => {
  let work = '';
  let state = '';
  const ids: string[] = [];
  const unique = `podsmith-t${process.pid}-${Date.now().toString(36)}`;

  const runc = (args: string[], opts: { stdio?: 'ignore' } = {}) =>
    spawnSync('runc', ['--root', state, ...args], { encoding: 'utf8', timeout: 30_000, ...opts });

  /** A busybox rootfs with an `app` user, shared by every bundle (each mounts it read-only or not). */
  function makeRootfs(): string {
    const root = join(work, 'rootfs');
    for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'srv']) mkdirSync(join(root, d), { recursive: true });
    copyFileSync(BUSYBOX, join(root, 'bin/busybox'));
    for (const applet of ['sh', 'sleep', 'id', 'hostname', 'cat', 'grep', 'readlink', 'echo'])
      symlinkSync('busybox', join(root, 'bin', applet));
    writeFileSync(join(root, 'etc/passwd'), PASSWD);
    writeFileSync(join(root, 'etc/group'), GROUP);
    return root;
  }

  function hostFacts(): Pick<BundleInput, 'rlimitCeilings' | 'allCapabilities'> {
    const status = readFileSync('/proc/self/status', 'utf8');
    const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)![1];
    return {
      rlimitCeilings: parseProcLimits(readFileSync('/proc/self/limits', 'utf8')),
      allCapabilities: capabilitiesFromMask(bounding),
    };
  }

  async function bundle(
    name: string,
    inputPart: Omit<BundleInput, 'cgroupsPath' | 'pod'>,
  ): Promise<{ dir: string; id: string }> {
    const id = `${unique}-${name}`;
    const dir = join(work, name);
    const { config } = buildBundleConfig({ pod: POD, cgroupsPath: `/${id}`, ...hostFacts(), ...inputPart });
    await writeBundle(dir, config);
    ids.push(id);
    return { dir, id };
  }

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'podsmith-bundle-'));
    state = join(work, 'runc-state');
    makeRootfs();
  });

  after(() => {
    for (const id of ids.reverse()) runc(['delete', '-f', id]);
    rmSync(work, { recursive: true, force: true });
  });

  it('runs a container with its user, env, args, cwd, capabilities, clamped rlimit and cgroup limits', async () => {
    const script = [
      'echo "host=$(hostname)"',
      'echo "ids=$(id -u):$(id -g):$(id -G)"',
      'echo "cwd=$(pwd)"',
      'echo "nofile=$(ulimit -n)"',
      'echo "greeting=$GREETING"',
      'echo "arg=$1"',
      'grep CapBnd /proc/self/status',
    ].join('; ');
    const { dir, id } = await bundle('single', {
      image: image({ User: 'app', Env: ['GREETING=image'], WorkingDir: '/srv' }),
      container: {
        name: 'app',
        command: ['/bin/sh', '-c', script, 'sh'],
        args: ['$(GREETING)-$(SUFFIX)'],
        env: [
          { name: 'GREETING', value: 'hello' },
          { name: 'SUFFIX', value: '$(GREETING)!' },
        ],
        resources: { limits: { cpu: '500m', memory: '64Mi' } },
        securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
      },
      rootfs: { path: join(work, 'rootfs'), passwd: PASSWD, group: GROUP },
      setHostname: true,
      pidsLimit: 64,
    });
    const r = runc(['run', '--bundle', dir, id]);
    assert.equal(r.status, 0, `runc failed: ${r.stderr}`);
    const out = r.stdout;
    assert.match(out, /^host=web$/m);
    assert.match(out, /^ids=1000:1000:1000 10 44$/m);
    assert.match(out, /^cwd=\/srv$/m);
    const ceiling = hostFacts().rlimitCeilings?.RLIMIT_NOFILE ?? 1048576;
    assert.match(out, new RegExp(`^nofile=${Math.min(ceiling, 1048576)}$`, 'm'));
    assert.match(out, /^greeting=hello$/m);
    assert.match(out, /^arg=hello-hello!$/m);
    // Docker's default bounding set
    assert.match(out, /^CapBnd:\s*00000000a80425fb$/m);
  });

  it('an app container joins the pause container network, ipc and uts namespaces and sees its hostname', async () => {
    const pause = await bundle('pause', {
      image: image({}),
      container: { name: 'pause', command: ['/bin/sleep', '60'] },
      rootfs: { path: join(work, 'rootfs') },
      setHostname: true,
    });
    const started = runc(['run', '-d', '--bundle', pause.dir, pause.id], { stdio: 'ignore' });
    assert.equal(started.status, 0, 'pause container did not start');
    const pid = JSON.parse(runc(['state', pause.id]).stdout).pid as number;
    assert.ok(pid > 0);
    const ns = (t: string) => `/proc/${pid}/ns/${t}`;

    const app = await bundle('joiner', {
      image: image({}),
      container: {
        name: 'app',
        command: ['/bin/sh', '-c', 'hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/uts'],
      },
      rootfs: { path: join(work, 'rootfs') },
      namespaces: { network: ns('net'), ipc: ns('ipc'), uts: ns('uts') },
    });
    const r = runc(['run', '--bundle', app.dir, app.id]);
    assert.equal(r.status, 0, `runc failed: ${r.stderr}`);
    const [hostname, net, uts] = r.stdout.trim().split('\n');
    assert.equal(hostname, 'web');
    assert.equal(net, spawnSync('readlink', [ns('net')], { encoding: 'utf8' }).stdout.trim());
    assert.equal(uts, spawnSync('readlink', [ns('uts')], { encoding: 'utf8' }).stdout.trim());
  });
});
