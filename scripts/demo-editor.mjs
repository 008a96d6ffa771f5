// The editor demo (run by scripts/demo-editor.sh, which installs and packages first): code-server with the
// packaged extension installed, on a copy of examples/demo, listening on 127.0.0.1 behind a one-time password.
// Pods run in an engine home of the demo's own (the `podsmith.engine.home` setting). Ctrl-C (or SIGTERM) stops
// code-server, deletes the demo's pods, stops its daemon and removes its temp folder: nothing is left.
//   node scripts/demo-editor.mjs --vsix FILE [--port N] [--check]
// --check starts everything, logs in and fetches the workbench page, checks that the extension is installed,
// then stops as on Ctrl-C and fails if anything is left (the test of this script).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { engineLeftovers } from '../test/vscode/lib/engine-leftovers.mjs';
import { REPO, codeServerCli, makeRunDir, seedSettings, startCodeServer, workbenchUrl } from '../test/vscode/lib/harness.mjs';

const { values } = parseArgs({ options: { vsix: { type: 'string' }, port: { type: 'string' }, check: { type: 'boolean', default: false } } });
if (!values.vsix) throw new Error('--vsix FILE is required (scripts/demo-editor.sh packages one)');
const port = values.port ? Number(values.port) : 0;
if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port takes a port number, not ${values.port}`);

const say = (line) => console.log(`demo-editor: ${line}`);
const run = makeRunDir('podsmith-editor-demo-');
const home = join(run.root, 'engine'); // short enough for the daemon's socket path
const workspace = join(run.root, 'demo');
let server;
let extensionDir;

/** Stops everything this demo started; returns what had to be cleaned up that should not have been left. */
async function stop() {
  if (server) await server.stop();
  server = undefined;
  // The daemon the extension started lives on (detached, as for any editor): delete its pods and stop it.
  const left = engineLeftovers(home, join(extensionDir ?? REPO, 'dist'));
  // After engineLeftovers the daemon's processes are gone; what is left are the home's files. A rootless
  // engine's files belong to subordinate ids: remove them from inside the user's namespace.
  if (process.getuid?.() !== 0) spawnSync(process.execPath, [join(extensionDir ?? REPO, 'dist', 'podsmith.js'), 'unshare', 'rm', '-rf', run.root], { stdio: 'ignore' });
  run.remove();
  return left;
}

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    say('stopping: code-server, the demo\'s pods and its daemon ...');
    stop().then(
      (left) => {
        // Pods still running at Ctrl-C are expected here (the user ran them); they are deleted all the same.
        say(left.length ? `stopped (removed: ${left.join('; ')})` : 'stopped; nothing is left running');
        process.exit(0);
      },
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}

try {
  cpSync(join(REPO, 'examples', 'demo'), workspace, { recursive: true });
  mkdirSync(home, { mode: 0o700 });
  seedSettings(run.userData, { 'podsmith.engine.home': home });
  const installed = await codeServerCli(run, ['--user-data-dir', run.userData, '--extensions-dir', run.extensions, '--install-extension', resolve(values.vsix)]);
  if (!/successfully installed/i.test(installed)) throw new Error(`installing ${values.vsix} failed:\n${installed}`);
  const name = readdirSync(run.extensions).find((n) => n.startsWith('podsmith.podsmith-'));
  if (!name) throw new Error(`the extension did not land in ${run.extensions}`);
  extensionDir = join(run.extensions, name);

  const password = randomBytes(12).toString('base64url');
  server = await startCodeServer(run, { port, password, idleTimeoutSeconds: 0, testDriver: false });
  const url = workbenchUrl(server, { workspace });

  if (values.check) {
    await check(url, password);
    const left = await stop();
    if (left.length) throw new Error(`left after the check: ${left.join('; ')}`);
    say('check passed: code-server served the workbench with the extension installed, and stopped leaving nothing');
    console.log('demo-editor: 1 passed, 0 failed');
    process.exit(0);
  }

  console.log('');
  say(`open ${url}`);
  say(`password: ${password}`);
  say(`(${name}, pods in ${home}: from a shell, PODSMITH_HOME=${home} node ${join(extensionDir, 'dist', 'podsmith.js')} ps)`);
  say('open hello-pod.yaml and click Run above the pod; Ctrl-C here stops everything');
  console.log('');
} catch (err) {
  console.error(`demo-editor: ${err instanceof Error ? err.message : err}`);
  await stop().catch(() => undefined);
  if (values.check) console.log('demo-editor: 0 passed, 1 failed');
  process.exit(1);
}

/** Logs in as a browser would and fetches the workbench page of the demo folder. */
async function check(url, password) {
  const origin = new URL(url).origin;
  const login = await fetch(`${origin}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ password }),
    redirect: 'manual',
  });
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  if (!cookie) throw new Error(`POST /login answered ${login.status} without a session cookie`);
  const wrong = await fetch(url, { redirect: 'manual' });
  if (wrong.status < 300 || wrong.status >= 400) throw new Error(`without the password the workbench answered ${wrong.status}, not a redirect to the login page`);
  const page = await fetch(url, { headers: { cookie }, redirect: 'manual' });
  const html = await page.text();
  if (page.status !== 200 || !/vs\/code\/browser\/workbench\/workbench/.test(html)) throw new Error(`the workbench page answered ${page.status}:\n${html.slice(0, 500)}`);
  say(`served ${url} (workbench page, ${html.length} bytes)`);
  const list = await codeServerCli(run, ['--user-data-dir', run.userData, '--extensions-dir', run.extensions, '--list-extensions', '--show-versions']);
  if (!/^podsmith\.podsmith@/m.test(list)) throw new Error(`podsmith.podsmith is not among the installed extensions:\n${list}`);
}
