// Runs a real VS Code workbench offline: code-server (VS Code 1.139.1 server build, on the toolchain's Node 24)
// plus Debian chromium driven by playwright-core. Shared by the test-electron launcher, the UI test and the
// .vsix smoke test. See /work/shared/notes/vscode-tests.md for why each flag is there.
import { spawn } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = resolve(HERE, '..', '..');
export const CHROMIUM = process.env.PODSMITH_CHROMIUM || '/usr/bin/chromium';
const VERBOSE = !!process.env.PODSMITH_VSCODE_VERBOSE;

/** Settings that keep the workbench quiet and offline: no welcome page, chat, updates, git scans or downloads. */
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'update.mode': 'none',
  'update.showReleaseNotes': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
  'json.schemaDownload.enable': false,
  'files.autoSave': 'off',
};

export function log(...args) {
  console.error('[vscode-harness]', ...args);
}

/** Paths of the toolchain installed by setup.sh. */
export function toolchain() {
  const root = join(HERE, '.toolchain');
  const file = join(root, 'toolchain.json');
  if (!existsSync(file)) throw new Error(`no toolchain at ${root}: run test/vscode/setup.sh first`);
  const t = JSON.parse(readFileSync(file, 'utf8'));
  return { root, node: join(root, t.node), codeServer: join(root, t.codeServer) };
}

/**
 * A per-run temp directory holding TMPDIR and the XDG homes (code-server and chromium write there otherwise),
 * plus default user-data and extensions dirs. `remove()` deletes it all.
 */
export function makeRunDir(prefix = 'podsmith-vscode-') {
  const root = mkdtempSync(join(process.env.PODSMITH_VSCODE_TMP || tmpdir(), prefix));
  const dirs = {
    root,
    tmp: join(root, 'tmp'),
    config: join(root, 'xdg-config'),
    data: join(root, 'xdg-data'),
    cache: join(root, 'xdg-cache'),
    userData: join(root, 'user-data'),
    extensions: join(root, 'extensions'),
    logs: join(root, 'logs'),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  return {
    ...dirs,
    env: {
      TMPDIR: dirs.tmp,
      XDG_CONFIG_HOME: dirs.config,
      XDG_DATA_HOME: dirs.data,
      XDG_CACHE_HOME: dirs.cache,
    },
    remove() {
      rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/**
 * Copies a failed run's logs out of the temp dir before it is removed: code-server's and the workbench's, and
 * VS Code's own (extension host, the Podsmith output channel) from the user-data dir.
 */
export function keepLogs(run, userDataDir = run.userData) {
  const dest = join(REPO, 'test-results', 'vscode-logs', new Date().toISOString().replace(/[:.]/g, '-'));
  try {
    cpSync(run.logs, dest, { recursive: true });
    if (existsSync(join(userDataDir, 'logs'))) cpSync(join(userDataDir, 'logs'), join(dest, 'vscode'), { recursive: true });
    log(`logs of the failed run: ${dest}`);
  } catch (err) {
    log(`could not keep the logs: ${err}`);
  }
}

/** Writes User/settings.json, merged over anything already there. */
export function seedSettings(userDataDir, extra = {}) {
  const dir = join(userDataDir, 'User');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'settings.json');
  let current = {};
  try {
    current = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // Missing or not plain JSON: start over, the run owns this directory.
  }
  writeFileSync(file, JSON.stringify({ ...current, ...QUIET_SETTINGS, ...extra }, null, 2));
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (srv.address());
      srv.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs the toolchain's code-server CLI to completion (e.g. --install-extension). */
export function codeServerCli(run, args) {
  const tc = toolchain();
  return new Promise((resolveRun, reject) => {
    const child = spawn(tc.node, [tc.codeServer, ...args], {
      env: { ...process.env, ...run.env, EXTENSIONS_GALLERY: NO_GALLERY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolveRun(out) : reject(new Error(`code-server ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

const NO_GALLERY = JSON.stringify({ serviceUrl: '', itemUrl: '', resourceUrlTemplate: '' });

/**
 * Starts code-server in its own process group and waits for /healthz. `stop()` sends SIGTERM to the group
 * (server, extension host and the language server it forks), then SIGKILL if anything is left after 3 s.
 * Tests take the defaults; the editor demo (scripts/demo-editor.mjs) asks for a password, no idle timeout and
 * no test driver.
 */
export async function startCodeServer(run, {
  userDataDir = run.userData,
  extensionsDir = run.extensions,
  port: wantedPort = 0,
  password,
  idleTimeoutSeconds = 120,
  testDriver = true,
} = {}) {
  const tc = toolchain();
  const port = wantedPort || (await freePort());
  const args = [
    tc.codeServer,
    '--auth', password ? 'password' : 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--config', join(run.root, 'code-server.yaml'),
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    // Safety net if this process is SIGKILLed before stop(): once the browser is gone too, the server stops itself.
    ...(idleTimeoutSeconds ? ['--idle-timeout-seconds', String(idleTimeoutSeconds)] : []),
    // Without the smoke-test driver the workbench ignores extensionDevelopmentPath/extensionTestsPath.
    ...(testDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
  ];
  // The password goes in the environment (code-server's PASSWORD), never on a command line others can read.
  writeFileSync(join(run.root, 'code-server.yaml'), `auth: ${password ? 'password' : 'none'}\n`, { mode: 0o600 });
  const logFile = join(run.logs, 'code-server.log');
  const logStream = createWriteStream(logFile);
  const child = spawn(tc.node, args, {
    cwd: run.root,
    env: { ...process.env, ...run.env, EXTENSIONS_GALLERY: NO_GALLERY, ...(password ? { PASSWORD: password } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so stop() reaches every descendant
  });
  child.stdout.pipe(logStream, { end: false });
  child.stderr.pipe(logStream, { end: false });
  if (VERBOSE) {
    child.stdout.on('data', (d) => process.stderr.write(d));
    child.stderr.on('data', (d) => process.stderr.write(d));
  }
  let exited = false;
  const exitedPromise = new Promise((r) => child.on('exit', (code, signal) => { exited = true; r({ code, signal }); }));

  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited && child.pid) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      const done = await Promise.race([exitedPromise.then(() => true), sleep(3000).then(() => false)]);
      if (!done) log('code-server did not stop on SIGTERM; killing it');
    }
    // Children (extension host, language server) can outlive the server itself: sweep the group either way.
    if (child.pid) {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* group empty */ }
    }
    await new Promise((r) => logStream.end(r));
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`code-server exited before it was ready; log:\n${readFileSync(logFile, 'utf8')}`);
    }
    try {
      const res = await fetch(`${origin}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server not healthy after 60 s; log:\n${readFileSync(logFile, 'utf8')}`);
    }
    await sleep(100);
  }
  return { port, origin, logFile, stop, pid: child.pid };
}

/** The workbench URL for a folder (or .code-workspace file) with a payload of [key, value] pairs. */
export function workbenchUrl(server, { workspace, payload = [] }) {
  const q = new URLSearchParams();
  if (workspace) q.set(workspace.endsWith('.code-workspace') ? 'workspace' : 'folder', workspace);
  if (payload.length) q.set('payload', JSON.stringify(payload));
  return `${server.origin}/?${q}`;
}

/** A remote URI the workbench understands for a path on the code-server machine. */
export function remoteUri(server, absPath) {
  return `vscode-remote://127.0.0.1:${server.port}${absPath}`;
}

/** Headless chromium with a viewport large enough for the Problems panel to show several rows. */
export async function launchBrowser(run) {
  // playwright makes its chromium profile under os.tmpdir(): keep that inside the run directory.
  process.env.TMPDIR = run.tmp;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    env: { ...process.env, ...run.env },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  if (VERBOSE) {
    page.on('console', (m) => process.stderr.write(`[browser ${m.type()}] ${m.text()}\n`));
  }
  page.on('pageerror', (e) => log('page error:', e.message));
  return { browser, context, page };
}

/** Closes the browser without letting a hung close block cleanup. */
export async function closeBrowser(b) {
  if (!b) return;
  await Promise.race([b.browser.close().catch(() => {}), sleep(5000)]);
}
