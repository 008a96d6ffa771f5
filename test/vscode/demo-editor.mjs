// The test of scripts/demo-editor.sh as a user runs it: it starts and prints a URL that code-server serves
// (behind its password); a pod runs in the demo's engine home (from the CLI the .vsix carries, as the editor
// would start it); Ctrl-C (SIGINT) then stops everything: no code-server, daemon, container or other process
// of the demo is left, and its temp folder is gone.
//   node test/vscode/demo-editor.mjs --vsix FILE
// Prints `demo-editor: N passed, M failed` last.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO } from './lib/harness.mjs';

const { values } = parseArgs({ options: { vsix: { type: 'string' } } });
if (!values.vsix) throw new Error('--vsix FILE is required');
const WAIT_MS = 120_000;

const checks = [];
async function check(name, fn) {
  try {
    await fn();
    checks.push(true);
    console.log(`  ok   ${name}`);
  } catch (err) {
    checks.push(false);
    console.log(`  FAIL ${name}\n       ${String(err instanceof Error ? err.message : err).replace(/\n/g, '\n       ')}`);
    throw err;
  }
}

/** Processes that belong to the demo: its engine home in their environment, command line or root. */
function demoProcesses(root) {
  const found = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    if (Number(pid) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      let fsRoot = '';
      try {
        fsRoot = readlinkSync(`/proc/${pid}/root`);
      } catch {
        // another user's, or gone
      }
      if (cmdline.includes(root) || environ.includes(root) || fsRoot.startsWith(root)) found.push(`${pid} ${cmdline.split('\0').join(' ').trim()}`);
    } catch {
      // gone
    }
  }
  return found;
}

const child = spawn('bash', [join(REPO, 'scripts', 'demo-editor.sh'), '--vsix', resolve(values.vsix)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
child.stdout.on('data', (d) => (out += d));
child.stderr.on('data', (d) => (out += d));
const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));

async function waitFor(what, re) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const m = re.exec(out);
    if (m) return m;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${what} from demo-editor.sh; its output:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let root;
try {
  let url;
  let home;
  let cli;
  await check('demo-editor.sh starts code-server and prints the URL and the password', async () => {
    url = (await waitFor('URL', /demo-editor: open (http:\/\/127\.0\.0\.1:\d+\/\S+)/))[1];
    await waitFor('password', /demo-editor: password: (\S+)/);
    const m = await waitFor('engine home', /pods in (\S+): from a shell, PODSMITH_HOME=\S+ node (\S+) ps/);
    home = m[1];
    cli = m[2];
    root = dirname(home);
  });
  await check('the URL is served (the login page first)', async () => {
    const res = await fetch(url, { redirect: 'manual' });
    if (res.status < 300 || res.status >= 400 || !/login/.test(res.headers.get('location') ?? '')) throw new Error(`GET ${url} answered ${res.status} ${res.headers.get('location')}`);
    const login = await fetch(new URL('/login', url));
    if (login.status !== 200 || !/code-server/i.test(await login.text())) throw new Error(`the login page answered ${login.status}`);
  });
  await check("a pod runs in the demo's engine home, from the engine the .vsix carries", async () => {
    const r = spawnSync(process.execPath, [cli, 'run', '-f', join(REPO, 'examples', 'demo', 'hello-pod.yaml')], { env: { ...process.env, PODSMITH_HOME: home }, encoding: 'utf8', timeout: WAIT_MS });
    if (r.status !== 0) throw new Error(`podsmith run exited ${r.status}: ${r.stderr}`);
    if (!demoProcesses(root).length) throw new Error('no process of the demo is running');
  });
  await check('Ctrl-C stops it all: nothing of the demo is left', async () => {
    child.kill('SIGINT');
    const { code } = await Promise.race([exited, new Promise((_, rej) => setTimeout(() => rej(new Error(`demo-editor.sh did not exit after SIGINT:\n${out}`)), WAIT_MS))]);
    if (code !== 0) throw new Error(`demo-editor.sh exited ${code} after SIGINT:\n${out}`);
    if (!/demo-editor: stopped/.test(out)) throw new Error(`no "stopped" line:\n${out}`);
    const left = demoProcesses(root);
    if (left.length) throw new Error(`left running:\n${left.join('\n')}`);
    if (existsSync(root)) throw new Error(`${root} is still there`);
  });
} catch {
  // counted below
} finally {
  if (child.exitCode === null) {
    child.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
  }
  if (root) for (const p of demoProcesses(root)) process.kill(Number(p.split(' ')[0]), 'SIGKILL');
  if (checks.includes(false) || checks.length < 4) console.error(out);
}
const passed = checks.filter(Boolean).length;
const failed = Math.max(checks.length, 4) - passed;
console.log(`demo-editor: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
