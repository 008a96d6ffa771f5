// Runs the extension-host suite through @vscode/test-electron, pointed at the code-server launcher instead of
// a downloaded VS Code. Prints the suite's counts as `extension-host: N passed, M failed`.
import { runTests } from '@vscode/test-electron';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineLeftovers } from './lib/engine-leftovers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const resultsFile = join(repo, 'test-results', 'vscode-extension-host.json');
const homesFile = join(repo, 'test-results', 'vscode-engine-homes.txt');
mkdirSync(dirname(resultsFile), { recursive: true });
rmSync(resultsFile, { force: true });
rmSync(homesFile, { force: true });

// The engine home the pods suite uses (through the podsmith.engine.home setting); short, for the socket path.
const engineHome = mkdtempSync('/tmp/psv-');

let exitCode = 0;
try {
  await runTests({
    vscodeExecutablePath: join(here, 'code-server-launcher.mjs'),
    // PODSMITH_VSCODE_EXT_PATH: another extension folder (a build elsewhere), for experiments.
    extensionDevelopmentPath: process.env.PODSMITH_VSCODE_EXT_PATH || repo,
    extensionTestsPath: join(here, 'out', 'index.js'),
    launchArgs: [join(here, 'workspace')],
    // No --user-data-dir/--extensions-dir from test-electron (it would point them at ./.vscode-test): the
    // launcher makes fresh ones per run in its temp dir.
    reuseMachineInstall: true,
    extensionTestsEnv: { PODSMITH_VSCODE_RESULTS: resultsFile, PODSMITH_VSCODE_ENGINE_HOME: engineHome, PODSMITH_VSCODE_ENGINE_HOMES: homesFile },
  });
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  exitCode = 1;
}

sweepEngineHomes();

let results;
try {
  results = JSON.parse(readFileSync(resultsFile, 'utf8'));
} catch {
  // The suite never finished (startup failure or timeout): count the whole run as one failure.
  results = { passed: 0, failed: 1 };
  exitCode = 1;
}
if (results.failed > 0) exitCode = 1;
const left = engineLeftovers(engineHome, join(repo, 'dist'));
if (left.length) {
  console.error(`left running after the suite (now removed): ${left.join('; ')}`);
  results.failed++;
  exitCode = 1;
}
console.log(`extension-host: ${results.passed} passed, ${results.failed} failed`);
process.exit(exitCode);

/**
 * The engine suites (suite/engine.ts) delete their pods and stop their daemon in their teardown; a run cut short
 * (timeout, crash) skips that. Whatever home is left gets its pods deleted and its daemon stopped here, through
 * the CLI, and is removed.
 */
function sweepEngineHomes() {
  let homes = [];
  try {
    homes = readFileSync(homesFile, 'utf8').split('\n').filter(Boolean);
  } catch {
    return;
  }
  const cli = join(repo, 'dist', 'podsmith.js');
  for (const home of homes) {
    if (!existsSync(home)) continue;
    console.error(`[run] the run left engine home ${home}: deleting its pods and stopping its daemon`);
    const env = { ...process.env, PODSMITH_HOME: home };
    const ps = spawnSync(process.execPath, [cli, 'ps', '-o', 'json'], { env, encoding: 'utf8' });
    let pods = [];
    try {
      pods = JSON.parse(ps.stdout).items.map((p) => p.metadata.name);
    } catch {
      // no daemon answers: nothing runs that it knows of
    }
    for (const pod of pods) spawnSync(process.execPath, [cli, 'rm', '-f', pod], { env, stdio: 'inherit' });
    spawnSync(process.execPath, [cli, 'daemon', 'stop'], { env, stdio: 'inherit' });
    rmSync(home, { recursive: true, force: true });
  }
  rmSync(homesFile, { force: true });
}
