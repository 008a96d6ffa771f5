/// <reference types="mocha" />
// Entry point the extension host loads as `extensionTestsPath`: runs the suites with mocha and reports.
// Output lines carry a prefix so the launcher can pick them out of the workbench's own log chatter; the
// counts also go to a JSON file (PODSMITH_VSCODE_RESULTS) for the final `vscode: N passed, M failed` line.
import { writeFileSync } from 'node:fs';
import Mocha from 'mocha';
import { defineActivationTests } from './activation.test';
import { defineDiagnosticsTests } from './diagnostics.test';
import { defineFeatureTests } from './features.test';
import { defineLogsTests } from './logs.test';
import { definePodsTests } from './pods.test';
import { defineRemoteTests } from './remote.test';
import { defineSettingsTests } from './settings.test';
import { defineTerminalTests } from './terminal.test';

const PREFIX = '[ext-test] ';

function say(line: string): void {
  for (const l of line.split('\n')) console.log(PREFIX + l);
}

interface Results {
  passed: number;
  failed: number;
  skipped: number;
  failures: { title: string; error: string }[];
}

/** A small reporter: one line per test, the failure's stack, and a summary; no colors, no cursor tricks. */
class LineReporter extends Mocha.reporters.Base {
  constructor(runner: Mocha.Runner, options: Mocha.MochaOptions) {
    super(runner, options);
    const results = (options.reporterOptions as { results: Results }).results;
    const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } = Mocha.Runner.constants;
    runner.on(EVENT_TEST_PASS, (t: Mocha.Test) => {
      results.passed++;
      say(`  ok   ${t.fullTitle()} (${t.duration ?? 0} ms)`);
    });
    runner.on(EVENT_TEST_FAIL, (t: Mocha.Test, err: Error) => {
      results.failed++;
      const error = err?.stack ?? String(err);
      results.failures.push({ title: t.fullTitle(), error });
      say(`  FAIL ${t.fullTitle()}\n${error.replace(/^/gm, '       ')}`);
    });
    runner.on(EVENT_TEST_PENDING, (t: Mocha.Test) => {
      results.skipped++;
      say(`  skip ${t.fullTitle()}`);
    });
    runner.on(EVENT_RUN_END, () => {
      say(`${results.passed} passing, ${results.failed} failing, ${results.skipped} skipped`);
    });
  }
}

export async function run(): Promise<void> {
  const results: Results = { passed: 0, failed: 0, skipped: 0, failures: [] };
  const mocha = new Mocha({
    ui: 'tdd',
    // The first test waits for the language server to start; later ones for single round trips.
    timeout: 30_000,
    color: false,
    reporter: LineReporter,
    reporterOptions: { results },
    // PODSMITH_VSCODE_GREP=logs runs only the tests whose full title matches (while working on one part).
    ...(process.env.PODSMITH_VSCODE_GREP ? { grep: process.env.PODSMITH_VSCODE_GREP } : {}),
  });
  // Installs suite()/test()/setup() as globals, as mocha does before requiring a test file.
  mocha.suite.emit('pre-require', globalThis, 'podsmith-vscode-suite', mocha);
  defineActivationTests();
  defineDiagnosticsTests();
  defineFeatureTests();
  defineSettingsTests();
  // Last: these change engine settings and run real pods.
  definePodsTests();
  defineTerminalTests();
  defineLogsTests();
  defineRemoteTests();

  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  const out = process.env.PODSMITH_VSCODE_RESULTS;
  if (out) writeFileSync(out, JSON.stringify(results, null, 2));
  // A non-zero count must fail the run: the workbench turns this rejection into a non-zero exit code.
  if (failures > 0) throw new Error(`${failures} extension-host test(s) failed`);
}
