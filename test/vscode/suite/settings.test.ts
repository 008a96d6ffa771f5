/// <reference types="mocha" />
// The `podsmith` settings reach the server (configuration synchronization) and change its findings.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { RULES } from './rules';
import { codeOf, open, podsmithDiagnostics, revertAndCloseAll, setSetting, waitForCodes, waitForDiagnostics } from './util';

export function defineSettingsTests(): void {
  suite('settings', () => {
    teardown(async () => {
      await setSetting('rules', undefined);
      await setSetting('enable', undefined);
      await revertAndCloseAll();
    });

    test('podsmith.rules turns a rule off and changes a severity', async () => {
      const doc = await open('bad-pod.yaml');
      await waitForCodes(doc.uri, [RULES.unknownField, RULES.enum]);

      await setSetting('rules', { [RULES.enum]: 'off', [RULES.unknownField]: 'warning' });
      await waitForDiagnostics(
        doc.uri,
        (ds) => !ds.some((d) => codeOf(d) === RULES.enum)
          && ds.some((d) => codeOf(d) === RULES.unknownField && d.severity === vscode.DiagnosticSeverity.Warning),
        `${RULES.enum} off and ${RULES.unknownField} as a warning`,
      );

      await setSetting('rules', undefined);
      await waitForDiagnostics(
        doc.uri,
        (ds) => ds.some((d) => codeOf(d) === RULES.enum)
          && ds.some((d) => codeOf(d) === RULES.unknownField && d.severity === vscode.DiagnosticSeverity.Error),
        'the default severities back',
      );
    });

    test('podsmith.enable false clears the findings, true brings them back', async () => {
      const doc = await open('bad-pod.yaml');
      await waitForCodes(doc.uri, [RULES.unknownField]);
      await setSetting('enable', false);
      await waitForDiagnostics(doc.uri, (ds) => ds.length === 0, 'no findings while disabled');
      await setSetting('enable', true);
      await waitForCodes(doc.uri, [RULES.unknownField]);
    });

    test('the restart command brings the server back with its findings', async () => {
      const doc = await open('bad-pod.yaml');
      await waitForCodes(doc.uri, [RULES.unknownField]);
      // Stopping the old client clears its findings; seeing that proves a restart really happened.
      let cleared = false;
      const sub = vscode.languages.onDidChangeDiagnostics(() => {
        if (podsmithDiagnostics(doc.uri).length === 0) cleared = true;
      });
      try {
        await vscode.commands.executeCommand('podsmith.restartServer');
        await waitForDiagnostics(doc.uri, (ds) => cleared && ds.some((d) => codeOf(d) === RULES.unknownField), 'the findings to go and come back');
      } finally {
        sub.dispose();
      }
      assert.ok(cleared);
    });
  });
}
