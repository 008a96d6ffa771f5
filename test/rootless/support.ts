// TEST ONLY: running the real CLI as the unprivileged test user (podsmith-test, made by `scripts/setup.sh
// test` with a subordinate range), from outside any user namespace, as a developer's terminal or editor
// does. The CLI runs from the sources (tsx); when the user cannot read the checkout (one under /root), each
// command gets it bind-mounted at a fixed temporary path in a mount namespace of its own.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { packTar, type TarEntry } from '../../engine/image/archive/pack-tar';
import { parseSubordinateIds } from '../../engine/rootless/subids';

export const TEST_USER = process.env.PODSMITH_TEST_USER || 'podsmith-test';
const REPO = resolve(__dirname, '../..');

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  /** First subordinate uid and gid. */
  subuid: number;
  subgid: number;
}

/** The test user, or why the tests that need it cannot run. */
export function testUser(): TestUser | string {
  if (process.getuid?.() !== 0) return 'the rootless CLI tests run as root, which switches to the test user';
  const r = spawnSync('getent', ['passwd', TEST_USER], { encoding: 'utf8' });
  if (r.status !== 0) return `no user ${TEST_USER} (bash scripts/setup.sh test makes it)`;
  const [, , uid, gid, , home] = r.stdout.trim().split(':');
  const ref = { name: TEST_USER, uid: Number(uid) };
  const subuid = parseSubordinateIds(readFileSync('/etc/subuid', 'utf8'), ref)[0];
  const subgid = parseSubordinateIds(readFileSync('/etc/subgid', 'utf8'), ref)[0];
  if (!subuid || !subgid) return `${TEST_USER} has no subordinate range in /etc/subuid and /etc/subgid (bash scripts/setup.sh test gives one)`;
  return { name: TEST_USER, uid: Number(uid), gid: Number(gid), home, subuid: subuid.start, subgid: subgid.start };
}

function userCanRead(user: string, dir: string): boolean {
  return spawnSync('runuser', ['-u', user, '--', 'test', '-r', join(dir, 'package.json'), '-a', '-r', join(dir, 'node_modules', 'tsx', 'package.json')]).status === 0;
}

let mountAt: string | undefined;

/** A directory made for the user (0700, theirs). */
export function userDir(user: TestUser, prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chownSync(d, user.uid, user.gid);
  return d;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as the user: `podsmith ARGS` with PODSMITH_HOME=home (and whatever `env` adds). */
export class UserCli {
  constructor(
    readonly user: TestUser,
    readonly home: string,
    readonly env: Record<string, string> = {},
  ) {}

  /** argv of `podsmith ARGS` as the user, optionally behind a prefix run as the user (`unshare ...`). */
  argv(args: string[], prefix: string[] = [], env: Record<string, string> = {}): string[] {
    const repo = userCanRead(this.user.name, REPO) ? REPO : (mountAt ??= prepareMountPoint());
    const vars = { HOME: this.user.home, USER: this.user.name, LOGNAME: this.user.name, PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', PODSMITH_HOME: this.home, PODSMITH_DAEMON_IDLE: '2m', ...this.env, ...env };
    const inner = ['env', '-i', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), ...prefix, process.execPath, '--import', 'tsx', join(repo, 'engine', 'cli', 'main.ts'), ...args];
    const asUser = ['runuser', '-u', this.user.name, '--', 'sh', '-c', 'cd "$1" && shift && exec "$@"', 'podsmith-as-user', repo, ...inner];
    if (repo === REPO) return asUser;
    return ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$1" "$2" && shift 2 && exec "$@"', 'podsmith-as-user', REPO, repo, ...asUser];
  }

  spawn(args: string[], o: SpawnOptions & { prefix?: string[]; env?: Record<string, string> } = {}): ChildProcess {
    const [cmd, ...rest] = this.argv(args, o.prefix, o.env);
    return spawn(cmd, rest, { stdio: ['ignore', 'pipe', 'pipe'], ...o, env: process.env });
  }

  run(args: string[], o: { prefix?: string[]; env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<Run> {
    return new Promise((resolvePromise) => {
      const child = this.spawn(args, { ...o, stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      if (o.input !== undefined) child.stdin!.end(o.input);
      const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 120_000);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolvePromise({ code, stdout, stderr });
      });
    });
  }
}

function prepareMountPoint(): string {
  const at = join(tmpdir(), `podsmith-as-user-repo-${process.pid}`);
  if (!existsSync(at)) mkdirSync(at, { mode: 0o755 });
  return at;
}

/**
 * An OCI layout of busybox whose /data belongs to uid 1000 (0700) and whose config runs as 1000:1000, as
 * many real images do: it runs only where the namespace holds uid 1000 and the unpacked files keep their owner.
 */
export async function ownedImageLayout(dir: string): Promise<string> {
  const list = spawnSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter((a) => /^[\w.[\]-]+$/.test(a) && a !== 'busybox');
  const entries: TarEntry[] = [
    { path: 'bin', type: 'directory' },
    { path: 'bin/busybox', mode: 0o755, data: readFileSync('/bin/busybox') },
    ...list.map((a): TarEntry => ({ path: `bin/${a}`, type: 'symlink', target: 'busybox' })),
    { path: 'etc', type: 'directory' },
    { path: 'etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/data:/bin/sh\n' },
    { path: 'etc/group', data: 'root:x:0:\napp:x:1000:\n' },
    { path: 'tmp', type: 'directory', mode: 0o1777 },
    { path: 'data', type: 'directory', mode: 0o700, uid: 1000, gid: 1000 },
    { path: 'data/seed', data: 'seeded by the image\n', mode: 0o600, uid: 1000, gid: 1000 },
  ];
  const tar = await packTar(entries);
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (data: Buffer | string) => {
    const hex = createHash('sha256').update(data).digest('hex');
    writeFileSync(join(blobs, hex), data);
    return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
  };
  const layer = put(gzipSync(tar));
  const config = put(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { User: '1000:1000', Env: ['PATH=/bin'], Cmd: ['/bin/sh'], WorkingDir: '/data' },
      rootfs: { type: 'layers', diff_ids: [`sha256:${createHash('sha256').update(tar).digest('hex')}`] },
    }),
  );
  const manifest = put(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }] }));
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest }] }));
  return dir;
}
