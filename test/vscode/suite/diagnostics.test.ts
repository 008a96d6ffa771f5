/// <reference types="mocha" />
// Findings from the language server land on the right lines with the right rule ids; files that are not
// Kubernetes manifests get none.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { RULES } from './rules';
import { codeOf, describe, findingAt, lineOf, open, podsmithDiagnostics, revertAndCloseAll, serverCaughtUp, waitForCodes, waitForDiagnostics } from './util';

export function defineDiagnosticsTests(): void {
  suite('diagnostics', () => {
    suiteTeardown(revertAndCloseAll);

    test('bad YAML pod: each finding on its line, with its rule id', async () => {
      const doc = await open('bad-pod.yaml');
      const expected: [string, number][] = [
        [RULES.unknownField, lineOf(doc, 'imagePullPolicyy:')],
        [RULES.enum, lineOf(doc, 'imagePullPolicy: ifnotpresent')],
        [RULES.gracePeriod, lineOf(doc, 'terminationGracePeriodSeconds:')],
        [RULES.duplicateContainer, lineOf(doc, '- name: app', 2)],
      ];
      const diags = await waitForCodes(doc.uri, expected.map(([code]) => code));
      for (const [code, line] of expected) findingAt(diags, code, line);
      // Nothing else: the fixture breaks exactly these rules.
      assert.equal(diags.length, expected.length, describe(diags));
      for (const d of diags) {
        assert.equal(d.source, 'podsmith');
        assert.ok(d.message.length > 0);
      }
      // Schema findings are errors by default (the registry's default severity).
      assert.equal(findingAt(diags, RULES.unknownField, expected[0]![1]).severity, vscode.DiagnosticSeverity.Error);
      // The unknown-field finding points at the misspelled key itself.
      const unknown = findingAt(diags, RULES.unknownField, expected[0]![1]);
      assert.match(doc.getText(unknown.range), /imagePullPolicyy/, `range ${JSON.stringify(unknown.range)} should cover the key`);
    });

    test('bad JSON pod: unknown field found in a .json file', async () => {
      const doc = await open('bad-pod.json');
      assert.equal(doc.languageId, 'json');
      const diags = await waitForCodes(doc.uri, [RULES.unknownField]);
      findingAt(diags, RULES.unknownField, lineOf(doc, 'imagePullPolicyy'));
    });

    test('good pod: no findings', async () => {
      const good = await open('good-pod.yaml');
      await serverCaughtUp();
      assert.equal(podsmithDiagnostics(good.uri).length, 0, describe(podsmithDiagnostics(good.uri)));
    });

    test('YAML that is not a manifest (CI workflow, compose-like file): no findings', async () => {
      const workflow = await open('workflow.yml');
      const services = await open('services.yaml');
      assert.equal(workflow.languageId, 'yaml');
      await serverCaughtUp();
      assert.equal(podsmithDiagnostics(workflow.uri).length, 0, describe(podsmithDiagnostics(workflow.uri)));
      assert.equal(podsmithDiagnostics(services.uri).length, 0, describe(podsmithDiagnostics(services.uri)));
    });

    test('findings follow edits without a save', async () => {
      const doc = await open('bad-pod.yaml');
      const line = lineOf(doc, 'imagePullPolicyy:');
      await waitForCodes(doc.uri, [RULES.unknownField]);
      // Fix the typo by hand: the finding must go away while the others stay.
      const edit = new vscode.WorkspaceEdit();
      const at = doc.lineAt(line).text.indexOf('imagePullPolicyy');
      edit.replace(doc.uri, new vscode.Range(line, at, line, at + 'imagePullPolicyy'.length), 'imagePullPolicy');
      assert.ok(await vscode.workspace.applyEdit(edit));
      const after = await waitForDiagnostics(
        doc.uri,
        (ds) => !ds.some((d) => codeOf(d) === RULES.unknownField) && ds.some((d) => codeOf(d) === RULES.enum),
        `the ${RULES.unknownField} finding to go (and ${RULES.enum} to stay)`,
      );
      assert.ok(after.length > 0);
    });
  });
}
