// Runs the extension-host suite through @vscode/test-electron, pointed at the code-server launcher instead of
// a downloaded VS Code. Prints the suite's counts as `extension-host: N passed, M failed`.
import { runTests } from '@vscode/test-electron';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const resultsFile = join(repo, 'test-results', 'vscode-extension-host.json');
mkdirSync(dirname(resultsFile), { recursive: true });
rmSync(resultsFile, { force: true });

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
    extensionTestsEnv: { PODSMITH_VSCODE_RESULTS: resultsFile },
  });
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  exitCode = 1;
}

let results;
try {
  results = JSON.parse(readFileSync(resultsFile, 'utf8'));
} catch {
  // The suite never finished (startup failure or timeout): count the whole run as one failure.
  results = { passed: 0, failed: 1 };
  exitCode = 1;
}
if (results.failed > 0) exitCode = 1;
console.log(`extension-host: ${results.passed} passed, ${results.failed} failed`);
process.exit(exitCode);
