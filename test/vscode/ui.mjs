// UI test in the real workbench: open the bad manifest through Quick Open, open the Problems panel with its
// keyboard shortcut, check that Podsmith's findings are listed, and save a screenshot. With --vsix it then runs a
// real pod from the packaged extension's own engine (ui-pods.mjs): Run CodeLens, the view, a terminal, logs.
//   node test/vscode/ui.mjs                 the extension from this repo (extensionDevelopmentPath)
//   node test/vscode/ui.mjs --vsix FILE     the packaged extension, installed into a fresh extensions dir
// Exits 0 when the checks pass; prints `ui: N passed, M failed` (or `vsix: ...`) last.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { engineLeftovers } from './lib/engine-leftovers.mjs';
import {
  HERE, REPO, closeBrowser, codeServerCli, keepLogs, launchBrowser, log, makeRunDir, remoteUri, seedSettings, startCodeServer,
  workbenchUrl,
} from './lib/harness.mjs';
import { podChecks, podSettings } from './ui-pods.mjs';

const args = process.argv.slice(2);
const vsixIndex = args.indexOf('--vsix');
const vsix = vsixIndex >= 0 ? args[vsixIndex + 1] : undefined;
if (vsixIndex >= 0 && !vsix) throw new Error('--vsix needs a file');
const label = vsix ? 'vsix' : 'ui';
const screenshot = join(REPO, 'test-results', vsix ? 'vscode-problems-vsix.png' : 'vscode-problems.png');
const WAIT_MS = Number(process.env.PODSMITH_VSCODE_UI_WAIT_MS || 60_000);

const checks = [];
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    checks.push({ name, ok: true });
    console.log(`  ok   ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    checks.push({ name, ok: false });
    console.log(`  FAIL ${name}\n       ${String(err instanceof Error ? err.message : err).replace(/\n/g, '\n       ')}`);
    throw err; // later steps depend on this one
  }
}

// Module-level so that an interrupt can stop them too.
let server;
let browser;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, async () => {
    await closeBrowser(browser);
    if (server) await server.stop();
    process.exit(130);
  });
}

async function main() {
  const run = makeRunDir(`podsmith-vscode-${label}-`);
  // The pods part's engine home (short: the daemon's socket path must stay under 108 bytes).
  const home = vsix ? mkdtempSync('/tmp/psu-') : undefined;
  let extensionDir;
  let failed = false;
  try {
    seedSettings(run.userData, home ? podSettings(home) : {});
    if (vsix) {
      await check(`installs ${basename(vsix)} with --install-extension`, async () => {
        const out = await codeServerCli(run, [
          '--user-data-dir', run.userData, '--extensions-dir', run.extensions, '--install-extension', vsix,
        ]);
        if (!/successfully installed/i.test(out)) throw new Error(`unexpected install output:\n${out}`);
        const name = readdirSync(run.extensions).find((n) => n.startsWith('podsmith.podsmith-'));
        if (!name) throw new Error(`no podsmith.podsmith-* folder in ${run.extensions}`);
        extensionDir = join(run.extensions, name);
      });
    }
    const t0 = Date.now();
    server = await startCodeServer(run);
    browser = await launchBrowser(run);
    log(`code-server and chromium up in ${Date.now() - t0} ms`);
    const { page } = browser;
    const payload = [['skipWelcome', 'true']];
    // PODSMITH_VSCODE_EXT_PATH: another extension folder (a build elsewhere), for experiments.
    const extPath = process.env.PODSMITH_VSCODE_EXT_PATH || REPO;
    if (!vsix) payload.unshift(['extensionDevelopmentPath', remoteUri(server, extPath)]);
    await page.goto(workbenchUrl(server, { workspace: join(HERE, 'workspace'), payload }));

    // The smoke-test driver (enabled by the launcher flags) says when the workbench has restored.
    await page.waitForFunction(() => !!window.driver, null, { timeout: WAIT_MS });
    await page.evaluate(() => window.driver.whenWorkbenchRestored());
    log(`workbench restored after ${Date.now() - t0} ms`);

    await check('opens bad-pod.yaml through Quick Open', async () => {
      await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } }); // focus the workbench
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible', timeout: WAIT_MS });
      await input.fill('bad-pod.yaml');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'bad-pod.yaml' }).first().waitFor({ timeout: WAIT_MS });
      await page.keyboard.press('Enter');
      await page.locator('.tab.active', { hasText: 'bad-pod.yaml' }).waitFor({ timeout: WAIT_MS });
      await page.locator('.monaco-editor .view-lines', { hasText: 'imagePullPolicyy' }).waitFor({ timeout: WAIT_MS });
    });

    await check('Problems panel (Ctrl+Shift+M) lists the Podsmith findings', async () => {
      await page.keyboard.press('Control+Shift+M');
      const panel = page.locator('.markers-panel');
      await panel.waitFor({ state: 'visible', timeout: WAIT_MS });
      // One row per finding: message, source, code and `[Ln L, Col C]` (the parentheses around the code are CSS).
      const fixtureLines = readFileSync(join(HERE, 'workspace', 'bad-pod.yaml'), 'utf8').split('\n');
      const lineNo = (needle, nth = 1) => fixtureLines.map((l, i) => (l.includes(needle) ? i + 1 : 0)).filter(Boolean)[nth - 1];
      const expected = [
        { code: 'schema-unknown-field', line: lineNo('imagePullPolicyy:'), words: 'imagePullPolicyy' },
        { code: 'schema-enum', line: lineNo('imagePullPolicy: ifnotpresent'), words: 'ifnotpresent' },
        { code: 'limit-grace-period', line: lineNo('terminationGracePeriodSeconds'), words: '600' },
        { code: 'duplicate-container-name', line: lineNo('- name: app', 2), words: 'app' },
      ];
      for (const { code, line, words } of expected) {
        const row = panel.locator('.monaco-list-row')
          .filter({ has: page.locator('.marker-source', { hasText: /^podsmith$/ }) })
          .filter({ has: page.locator('.marker-code', { hasText: new RegExp(`^${code}$`) }) })
          .first();
        await row.waitFor({ timeout: WAIT_MS });
        const message = await row.locator('.marker-message').innerText();
        const where = await row.locator('.marker-line').innerText();
        if (!message.includes(words)) throw new Error(`the ${code} row's message does not mention ${words}: ${JSON.stringify(message)}`);
        if (!where.startsWith(`[Ln ${line},`)) throw new Error(`the ${code} row is at ${where}, expected line ${line}`);
      }
      // The squiggles are there too: the editor decorates the findings' ranges.
      await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: WAIT_MS });
      mkdirSync(join(REPO, 'test-results'), { recursive: true });
      await page.screenshot({ path: screenshot });
      console.log(`  screenshot: ${screenshot}`);
    });

    await check('hovering a squiggle shows the finding', async () => {
      // locator.hover() times out here (the view-lines layer takes the pointer): move the mouse to the box.
      const squiggle = page.locator('.monaco-editor .view-lines span', { hasText: /^imagePullPolicyy$/ }).first();
      const box = await squiggle.boundingBox();
      if (!box) throw new Error('the imagePullPolicyy token is not on screen');
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      const hover = page.locator('.monaco-hover', { hasText: 'imagePullPolicyy' });
      await hover.first().waitFor({ state: 'visible', timeout: WAIT_MS });
      const text = await hover.first().innerText();
      if (!/podsmith/.test(text)) throw new Error(`hover does not name the source: ${JSON.stringify(text)}`);
      await page.screenshot({ path: join(REPO, 'test-results', `vscode-hover${vsix ? '-vsix' : ''}.png`) });
    });

    if (vsix) {
      // The demo workspace (a copy: the workbench may write into it), in the same server.
      const demo = join(run.root, 'demo');
      cpSync(join(REPO, 'examples', 'demo'), demo, { recursive: true });
      await page.goto(workbenchUrl(server, { workspace: demo, payload }));
      await page.waitForFunction(() => !!window.driver, null, { timeout: WAIT_MS });
      await page.evaluate(() => window.driver.whenWorkbenchRestored());
      await podChecks({ page, check, home, extensionDir, waitMs: WAIT_MS });
    }
  } catch (err) {
    failed = true;
    // What the workbench showed when it failed is usually the fastest way to see why.
    if (browser) {
      const shot = join(REPO, 'test-results', `vscode-${label}-failure.png`);
      mkdirSync(dirname(shot), { recursive: true });
      await browser.page.screenshot({ path: shot }).then(() => log(`failure screenshot: ${shot}`), () => {});
    }
    throw err;
  } finally {
    const t1 = Date.now();
    await closeBrowser(browser);
    if (server) await server.stop();
    if (home) {
      // Whatever of the engine outlived the run (a failed check skips the UI's own delete and stop).
      const left = engineLeftovers(home, join(extensionDir ?? REPO, 'dist'));
      checks.push({ name: 'nothing of the engine is left running', ok: left.length === 0 });
      if (left.length) {
        failed = true;
        console.log(`  FAIL nothing of the engine is left running\n       left (now removed): ${left.join('; ')}`);
      } else console.log('  ok   nothing of the engine is left running');
    }
    if (failed) keepLogs(run);
    if (!process.env.PODSMITH_VSCODE_KEEP_TMP) run.remove();
    log(`cleanup took ${Date.now() - t1} ms`);
  }
}

let exitCode = 0;
try {
  await main();
} catch (err) {
  exitCode = 1;
  // A failure outside a named check (startup, timeout) still counts as one.
  if (!checks.some((c) => !c.ok)) {
    checks.push({ name: 'workbench startup', ok: false });
    log(err instanceof Error ? err.stack ?? err.message : String(err));
  }
}
if (checks.some((c) => !c.ok)) exitCode = 1;
const passed = checks.filter((c) => c.ok).length;
console.log(`${label}: ${passed} passed, ${checks.length - passed} failed`);
process.exit(exitCode);
