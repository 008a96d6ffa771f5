// The pods part of the UI test on the packaged extension (ui.mjs --vsix): in the real workbench, with the
// engine the .vsix carries (the daemon must run from the installed extension's dist/podsmith.js), it opens the
// demo pod's manifest, clicks its Run CodeLens, watches the pod turn Running in the Podsmith view, opens a
// terminal in a container from the tree's context menu and types in it, opens that container's logs from the
// tree, deletes the pod and stops the engine from the UI. Screenshots of the view, the terminal and the log tab
// go to test-results/. Nothing may be left: engineLeftovers() names (and removes) any pod, daemon or process.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './lib/harness.mjs';

export const POD = 'hello';
export const SHOTS = {
  view: join(REPO, 'test-results', 'vscode-pods-view.png'),
  terminal: join(REPO, 'test-results', 'vscode-terminal.png'),
  logs: join(REPO, 'test-results', 'vscode-logs.png'),
};

/** The settings the pods checks need: the engine home, no delete prompt, a terminal whose text is in the DOM. */
export function podSettings(home) {
  return {
    'podsmith.engine.home': home,
    'podsmith.pods.confirmDelete': false,
    // xterm's DOM renderer: the terminal's text can be read (the GPU renderers draw on a canvas).
    'terminal.integrated.gpuAcceleration': 'off',
  };
}

function daemonPid(home) {
  try {
    return Number(readFileSync(join(home, 'run', 'daemon.pid'), 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits for a condition of this process's world (not the page's) with a deadline. */
async function until(what, fn, ms) {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Runs the checks. `extensionDir` is where code-server installed the .vsix; `workspace` holds hello-pod.yaml
 * (a copy of examples/demo) and is open in the page.
 */
export async function podChecks({ page, check, home, extensionDir, waitMs }) {
  const podWaitMs = Math.max(waitMs, 120_000);
  const sidebar = page.locator('.part.sidebar');
  // A tree row by its label (.label-name) and, optionally, its description (.label-description).
  const row = (name, description) => {
    let r = sidebar.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: new RegExp(`^${name}$`) }) });
    if (description) r = r.filter({ has: page.locator('.label-description', { hasText: description }) });
    return r;
  };
  const podRow = () => row(POD);
  // Right-clicks `target` and clicks `item` in its context menu, until `effect` (a locator) shows the entry ran.
  // A tree refresh under an open menu (a pod event redraws the row) can close the menu or drop the click:
  // then the whole gesture is made again.
  const contextMenu = async (target, item, effect, { attempts = 3, state = 'visible' } = {}) => {
    for (let attempt = 1; ; attempt++) {
      const last = attempt === attempts;
      await target.click({ button: 'right' });
      const entry = page.locator('.monaco-menu .action-item', { hasText: new RegExp(`^\\s*${item}\\s*$`) }).first();
      const clicked = await entry.waitFor({ state: 'visible', timeout: last ? waitMs : 10_000 })
        .then(() => chooseByKeyboard(entry))
        .then(() => true, (err) => (last ? Promise.reject(err) : false));
      if (clicked && (await effect.waitFor({ state, timeout: last ? waitMs : 10_000 }).then(() => true, (err) => (last ? Promise.reject(err) : false)))) return;
      console.error(`[ui-pods] ${item}: the menu or its click was lost (attempt ${attempt}); again`);
      await page.keyboard.press('Escape'); // a menu still open
    }
  };
  // A click the menu dropped: the same entry chosen with the keyboard (focus moves down to it, then Enter), which
  // no pointer event of a redrawn row can swallow.
  const chooseByKeyboard = async (entry) => {
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('ArrowDown');
      if (await entry.evaluate((el) => el.classList.contains('focused'))) return page.keyboard.press('Enter');
    }
    throw new Error('the menu entry never took the keyboard focus');
  };
  const terminalRows = () => page.locator('.terminal-wrapper.active .xterm-rows');

  await check('clicking the Run CodeLens above the pod runs it', async () => {
    await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } });
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: waitMs });
    await input.fill('hello-pod.yaml');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'hello-pod.yaml' }).first().waitFor({ timeout: waitMs });
    await page.keyboard.press('Enter');
    await page.locator('.tab.active', { hasText: 'hello-pod.yaml' }).waitFor({ timeout: waitMs });
    const lens = page.locator('.monaco-editor .codelens-decoration a', { hasText: /\bRun$/ }).first();
    await lens.waitFor({ state: 'visible', timeout: waitMs });
    await lens.click();
  });

  await check('the Podsmith view shows the pod turn Running', async () => {
    // The activity bar's Podsmith entry opens the view.
    await page.locator('.part.activitybar .action-item', { has: page.locator('[aria-label^="Podsmith"]') })
      .or(page.locator('.part.activitybar .action-item[aria-label^="Podsmith"]')).first().click();
    // Wider, so the rows' descriptions show whole in the screenshot.
    const sash = await sidebar.boundingBox();
    if (sash) {
      await page.mouse.move(sash.x + sash.width + 1, sash.y + sash.height / 2);
      await page.mouse.down();
      await page.mouse.move(sash.x + sash.width + 160, sash.y + sash.height / 2, { steps: 5 });
      await page.mouse.up();
    }
    await podRow().waitFor({ state: 'visible', timeout: podWaitMs });
    await row(POD, /^Running 2\/2 · pod-containers/).waitFor({ timeout: podWaitMs });
    // The host's row counts it as running.
    await row('local', /1 pod, 1 running/).waitFor({ timeout: waitMs });
    // The daemon that runs it is the engine from the .vsix, not the repository's.
    const pid = daemonPid(home);
    if (!pid) throw new Error(`no daemon pid file in ${home}/run`);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0');
    if (!cmdline.includes(join(extensionDir, 'dist', 'podsmith.js'))) throw new Error(`the daemon runs ${cmdline.join(' ')}, not ${extensionDir}/dist/podsmith.js`);
    // The CodeLens above the manifest follows the pod too.
    await page.locator('.monaco-editor .codelens-decoration', { hasText: /Running 2\/2/ }).first().waitFor({ timeout: waitMs });
    if ((await podRow().getAttribute('aria-expanded')) !== 'true') await podRow().click();
    await row('ticker', /^running/).waitFor({ timeout: waitMs });
    await row('web', /^running/).waitFor({ timeout: waitMs });
    await page.screenshot({ path: SHOTS.view });
    console.log(`  screenshot: ${SHOTS.view}`);
  });

  await check("a terminal from the tree's context menu runs what is typed in the container", async () => {
    await contextMenu(row('ticker', /^running/).first(), 'Open Terminal', page.locator('.terminal-wrapper.active .xterm'));
    await page.locator('.terminal-tab, .tabs-container .tab, .single-terminal-tab', { hasText: `${POD}/ticker` }).first().waitFor({ timeout: waitMs })
      .catch(() => undefined); // the tab's look varies with the panel's width; the prompt below is what counts
    // busybox sh's prompt for root.
    await terminalRows().filter({ hasText: '#' }).waitFor({ timeout: waitMs });
    await page.locator('.terminal-wrapper.active .xterm-screen').click();
    // The output differs from the typed line, so seeing it means the shell ran it (in the pod: its hostname).
    await page.keyboard.type('echo "$((6*7))-$(hostname)"');
    await page.keyboard.press('Enter');
    await terminalRows().filter({ hasText: `42-${POD}` }).waitFor({ timeout: waitMs });
    await page.screenshot({ path: SHOTS.terminal });
    console.log(`  screenshot: ${SHOTS.terminal}`);
    await page.keyboard.type('exit 3');
    await page.keyboard.press('Enter');
    await terminalRows().filter({ hasText: 'exited with code 3' }).waitFor({ timeout: waitMs });
    await page.keyboard.press('Enter'); // "press any key to close"
  });

  await check('the logs tab opened from the tree shows the container writing', async () => {
    await contextMenu(row('ticker', /^running/).first(), 'Show Logs', page.locator('.tab.active', { hasText: 'ticker' }));
    // The active editor's lines (spaces drawn as no-break spaces, which \s matches).
    const lines = page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
    const ticks = async () => [...(await lines.innerText().catch(() => '')).matchAll(new RegExp(`tick\\s(\\d+)\\sfrom\\s${POD}`, 'g'))].map((m) => Number(m[1]));
    await until('the ticker\'s lines in the log tab', async () => (await ticks()).length > 0, waitMs);
    // Following: a later tick arrives in the open tab.
    const first = Math.max(...(await ticks()));
    await until('a new tick in the log tab', async () => Math.max(...(await ticks())) > first, waitMs);
    await page.screenshot({ path: SHOTS.logs });
    console.log(`  screenshot: ${SHOTS.logs}`);
  });

  await check('Delete Pod from the tree removes it, Stop Engine stops the daemon', async () => {
    const pid = daemonPid(home);
    // Deleting waits for the containers to stop (grace period 5 s).
    await contextMenu(podRow().first(), 'Delete Pod', podRow(), { attempts: 1, state: 'detached' });
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible', timeout: waitMs });
    await input.fill('>Podsmith: Stop Engine');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Stop Engine' }).first().waitFor({ timeout: waitMs });
    await page.keyboard.press('Enter');
    if (pid) await until(`daemon ${pid} to exit`, () => !alive(pid), waitMs);
  });
}
