#!/usr/bin/env node
// Stands in for the VS Code executable that @vscode/test-electron would download (impossible offline).
// Accepts test-electron's command line, runs the tests in code-server's real extension host through headless
// chromium, and exits with the tests' exit code. Runs on the system Node; code-server runs on Node 24.
import { appendFileSync, createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  closeBrowser, keepLogs, launchBrowser, log, makeRunDir, remoteUri, seedSettings, startCodeServer, workbenchUrl,
} from './lib/harness.mjs';

const TEST_PREFIX = process.env.PODSMITH_VSCODE_LOG_PREFIX ?? '[ext-test] ';
const VERBOSE = !!process.env.PODSMITH_VSCODE_VERBOSE;

/** The workbench sends console arguments as an array: join them the way console.log would. */
function formatLogArgs(message) {
  const parts = Array.isArray(message) ? message : [message];
  return parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
}

const VALUE_FLAGS = new Set(['extensionDevelopmentPath', 'extensionTestsPath', 'user-data-dir', 'extensions-dir']);

/** Parses `--name=value`, `--name value` (for the flags above) and positionals; other flags are Electron-only. */
function parseArgs(argv) {
  const opts = { extensionDevelopmentPath: [], extensionTestsPath: undefined, userDataDir: undefined, extensionsDir: undefined, workspace: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      opts.workspace = resolve(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (!VALUE_FLAGS.has(name)) continue; // --no-sandbox, --disable-gpu-sandbox, --skip-welcome, ...
    const value = eq < 0 ? argv[++i] : a.slice(eq + 1);
    if (value === undefined) throw new Error(`${a} needs a value`);
    if (name === 'extensionDevelopmentPath') opts.extensionDevelopmentPath.push(resolve(value));
    else if (name === 'extensionTestsPath') opts.extensionTestsPath = resolve(value);
    else if (name === 'user-data-dir') opts.userDataDir = resolve(value);
    else if (name === 'extensions-dir') opts.extensionsDir = resolve(value);
  }
  return opts;
}

/**
 * PODSMITH_VSCODE_RENDERER_HEAP=FILE (benches): once a second, a garbage collection in the workbench's page and
 * then its JS heap size, appended to FILE as `{"t": ms, "usedBytes": n}` lines, so an extension-host bench can
 * see what the editor side keeps (the page is out of the extension host's reach).
 */
async function sampleRendererHeap(page) {
  const file = process.env.PODSMITH_VSCODE_RENDERER_HEAP;
  if (!file) return () => {};
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      await cdp.send('HeapProfiler.collectGarbage');
      const { metrics } = await cdp.send('Performance.getMetrics');
      const used = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value;
      if (used !== undefined) appendFileSync(file, JSON.stringify({ t: Date.now(), usedBytes: used }) + '\n');
    } catch {
      // the page is navigating or closing
    } finally {
      busy = false;
    }
  }, 1000);
  return () => clearInterval(timer);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!opts.extensionTestsPath) throw new Error('--extensionTestsPath is required');
  const timeoutMs = Number(process.env.PODSMITH_VSCODE_TIMEOUT_MS || 180_000);

  const run = makeRunDir();
  const userDataDir = opts.userDataDir ?? run.userData;
  const workbenchLog = createWriteStream(join(run.logs, 'workbench.log'));
  let server;
  let browser;
  let cleaned;
  // Browser first (it talks to the server), then the server's whole process group, then the temp dir; the
  // logs are copied out first when the run failed. Runs once, also on SIGINT/SIGTERM.
  const cleanup = (failed) => (cleaned ??= (async () => {
    await closeBrowser(browser);
    if (server) await server.stop();
    await new Promise((r) => workbenchLog.end(r));
    if (failed) keepLogs(run, userDataDir);
    if (!process.env.PODSMITH_VSCODE_KEEP_TMP) run.remove();
  })());
  // test-electron forwards Ctrl+C as SIGINT.
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, () => { cleanup(true).finally(() => process.exit(130)); });
  }

  let code = 1;
  try {
    seedSettings(userDataDir);
    server = await startCodeServer(run, { userDataDir, extensionsDir: opts.extensionsDir ?? run.extensions });
    const payload = [
      ...opts.extensionDevelopmentPath.map((p) => ['extensionDevelopmentPath', remoteUri(server, p)]),
      ['extensionTestsPath', remoteUri(server, opts.extensionTestsPath)],
      ['skipWelcome', 'true'],
    ];
    browser = await launchBrowser(run);
    const { page } = browser;

    let finish;
    const finished = new Promise((r) => (finish = r));
    // The workbench forwards its log and the extension host's console here. Lines the test runner marks with
    // the prefix go to stdout; everything goes to a log file that is kept when the run fails.
    await page.exposeFunction('codeAutomationLog', (type, message) => {
      const text = formatLogArgs(message);
      workbenchLog.write(`${type} ${text}\n`);
      if (VERBOSE) process.stderr.write(`[workbench ${type}] ${text}\n`);
      for (const line of text.split('\n')) {
        if (line.startsWith(TEST_PREFIX)) process.stdout.write(line.slice(TEST_PREFIX.length) + '\n');
      }
    });
    // Called with the test runner's exit code once the extension host has run the tests and stopped.
    await page.exposeFunction('codeAutomationExit', (exitCode) => finish(Number(exitCode)));

    const stopSampling = await sampleRendererHeap(page);
    await page.goto(workbenchUrl(server, { workspace: opts.workspace, payload }));
    let timer;
    const timeout = new Promise((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const result = await Promise.race([finished, timeout]);
    clearTimeout(timer);
    stopSampling();
    if (result === 'timeout') log(`no test result after ${timeoutMs / 1000} s`);
    else code = result;
    return code;
  } finally {
    await cleanup(code !== 0);
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    log(err instanceof Error ? err.stack ?? err.message : String(err));
    process.exit(1);
  },
);
