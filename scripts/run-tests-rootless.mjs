// Runs the pod tests again as an unprivileged user (podsmith-test, made by `scripts/setup.sh test`, with a
// subordinate id range), each file inside that user's namespace (`podsmith unshare`), as a rootless
// daemon runs: native pods, exec, logs, port-forward, crash points, leaks, wasm pods, and the rootless tests
// proper (test/rootless). Run as root: `node scripts/run-tests-rootless.mjs [FILE...]`.
//
// The user must read the checkout. When it cannot (a checkout under /root, 0700), the checkout is bind-mounted
// at a temporary path in a mount namespace of this run only, so nothing is copied and nothing stays.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const USER = process.env.PODSMITH_TEST_USER || 'podsmith-test';
const REPO = resolve(new URL('..', import.meta.url).pathname);
export const ROOTLESS_TESTS = [
  'test/rootless/units.test.ts',
  'test/pods/run-pod.test.ts',
  'test/pods/exec.test.ts',
  'test/pods/init.test.ts',
  'test/pods/volumes.test.ts',
  'test/pods/subpath.test.ts',
  'test/pods/probes.test.ts',
  'test/pods/restart.test.ts',
  'test/pods/stop.test.ts',
  'test/pods/network.test.ts',
  'test/logs/conmon.test.ts',
  'test/logs/follow.test.ts',
  'test/network/port-forward-command.test.ts',
  'test/daemon/crash.test.ts',
  'test/daemon/native-e2e.test.ts',
  'test/daemon/streams.test.ts',
  'test/wasm/run.test.ts',
  'test/wasm/sandbox.test.ts',
];

const strict = process.env.PODSMITH_SETUP_DONE === '1';
function unavailable(why) {
  console.log(`rootless tests ${strict ? 'FAILED' : 'skipped'}: ${why}`);
  process.exit(strict ? 1 : 0);
}
if (process.getuid?.() !== 0) unavailable('they run as root, which switches to the test user (runuser)');
if (spawnSync('id', ['-u', USER]).status !== 0) unavailable(`no user ${USER} (bash scripts/setup.sh test makes it)`);

const files = process.argv.slice(2).length ? process.argv.slice(2) : ROOTLESS_TESTS;
const home = spawnSync('getent', ['passwd', USER], { encoding: 'utf8' }).stdout.split(':')[5] || '/tmp';
const env = ['env', '-i', `HOME=${home}`, `USER=${USER}`, `LOGNAME=${USER}`, `PATH=${process.env.PATH}`, `LANG=${process.env.LANG ?? 'C.UTF-8'}`];
for (const k of ['PODSMITH_SETUP_DONE', 'TERM']) if (process.env[k]) env.push(`${k}=${process.env[k]}`);

const readable = (dir) => spawnSync('runuser', ['-u', USER, '--', 'test', '-r', join(dir, 'package.json'), '-a', '-r', join(dir, 'node_modules', 'tsx', 'package.json')]).status === 0;

function run(dir) {
  // Inside the user's namespace (a new one per run: the test homes are fresh), as its root.
  const inner = [...env, process.execPath, '--import', 'tsx', 'engine/cli/main.ts', 'unshare', '--', process.execPath, 'scripts/run-tests.mjs', ...files];
  return ['runuser', '-u', USER, '--', 'sh', '-c', 'cd "$1" && shift && exec "$@"', 'podsmith-rootless', dir, ...inner];
}

let status;
if (readable(REPO)) {
  const [cmd, ...args] = run(REPO);
  status = spawnSync(cmd, args, { stdio: 'inherit' }).status;
} else {
  const at = mkdtempSync(join(tmpdir(), 'podsmith-rootless-repo-'));
  chmodSync(at, 0o755);
  try {
    // The bind mount lives in this run's own mount namespace; the test user's namespaces start from it.
    const [cmd, ...args] = run(at);
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$1" "$2" && shift 2 && exec "$@"', 'podsmith-rootless', REPO, at, cmd, ...args], { stdio: 'inherit' });
    status = r.status;
  } finally {
    rmSync(at, { recursive: true, force: true });
  }
}
process.exit(status ?? 1);
