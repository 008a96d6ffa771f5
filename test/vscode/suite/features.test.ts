/// <reference types="mocha" />
// Editor features the server provides, called the way VS Code itself calls them: quick fixes, hover,
// completion and document symbols.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { RULES } from './rules';
import { codeOf, describe, findingAt, hoverText, labelOf, lineOf, open, revertAndCloseAll, waitForCodes, waitForDiagnostics } from './util';

export function defineFeatureTests(): void {
  suite('editor features', () => {
    // Every test here may leave unsaved edits: throw them away so the fixtures on disk never change.
    teardown(revertAndCloseAll);

    test('quick fix for a misspelled enum value applies and clears the finding', async () => {
      const doc = await open('bad-pod.yaml');
      const line = lineOf(doc, 'imagePullPolicy: ifnotpresent');
      const diags = await waitForCodes(doc.uri, [RULES.enum]);
      const finding = findingAt(diags, RULES.enum, line);

      const actions = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>(
        'vscode.executeCodeActionProvider', doc.uri, finding.range, vscode.CodeActionKind.QuickFix.value,
      );
      const fixes = (actions ?? []).filter((a): a is vscode.CodeAction => 'kind' in a || 'edit' in a)
        .filter((a) => a.edit && (!a.diagnostics || a.diagnostics.some((d) => codeOf(d) === RULES.enum)));
      const fix = fixes.find((a) => /IfNotPresent/.test(a.title));
      assert.ok(fix, `no quick fix offering IfNotPresent; got: ${JSON.stringify((actions ?? []).map((a) => a.title))}`);
      assert.ok(await vscode.workspace.applyEdit(fix.edit!));

      assert.match(doc.lineAt(line).text, /imagePullPolicy: IfNotPresent/);
      const after = await waitForDiagnostics(
        doc.uri,
        (ds) => !ds.some((d) => codeOf(d) === RULES.enum) && ds.some((d) => codeOf(d) === RULES.unknownField),
        `the ${RULES.enum} finding to disappear`,
      );
      assert.ok(!after.some((d) => d.range.start.line === line), describe(after));
    });

    test('quick fix for an unknown field suggests the known field', async () => {
      const doc = await open('bad-pod.yaml');
      const line = lineOf(doc, 'imagePullPolicyy:');
      const finding = findingAt(await waitForCodes(doc.uri, [RULES.unknownField]), RULES.unknownField, line);
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider', doc.uri, finding.range, vscode.CodeActionKind.QuickFix.value,
      );
      const fix = (actions ?? []).find((a) => a.edit && /imagePullPolicy\b/.test(a.title));
      assert.ok(fix, `no rename fix; got: ${JSON.stringify((actions ?? []).map((a) => a.title))}`);
      assert.ok(await vscode.workspace.applyEdit(fix.edit!));
      assert.match(doc.lineAt(line).text, /^\s+imagePullPolicy: IfNotPresent/);
      await waitForDiagnostics(doc.uri, (ds) => !ds.some((d) => codeOf(d) === RULES.unknownField), `the ${RULES.unknownField} finding to disappear`);
    });

    test('hover on a field shows its description', async () => {
      const doc = await open('good-pod.yaml');
      const line = lineOf(doc, 'imagePullPolicy:');
      const pos = new vscode.Position(line, doc.lineAt(line).text.indexOf('imagePullPolicy') + 3);
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos);
      const text = hoverText(hovers ?? []);
      // Words of the Kubernetes description of containers[].imagePullPolicy.
      assert.match(text, /image pull policy/i, `hover text was: ${JSON.stringify(text)}`);
      assert.match(text, /IfNotPresent/);
    });

    test('completion inside a container offers container fields', async () => {
      const doc = await open('good-pod.yaml');
      const line = lineOf(doc, 'imagePullPolicy:');
      const indent = doc.lineAt(line).firstNonWhitespaceCharacterIndex;
      // Open a new empty key line inside the container, as a user about to type a field would.
      const edit = new vscode.WorkspaceEdit();
      edit.insert(doc.uri, new vscode.Position(line + 1, 0), ' '.repeat(indent) + '\n');
      assert.ok(await vscode.workspace.applyEdit(edit));
      const list = await vscode.commands.executeCommand<vscode.CompletionList>(
        'vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(line + 1, indent),
      );
      const labels = (list?.items ?? []).map(labelOf);
      for (const field of ['ports', 'env', 'livenessProbe', 'securityContext']) {
        assert.ok(labels.some((l) => l === field || l.startsWith(field + ':')), `completion lacks ${field}; got: ${JSON.stringify(labels.slice(0, 60))}`);
      }
      // Pod-level fields do not belong inside a container (restartPolicy would not do: containers have one too).
      for (const podField of ['hostNetwork', 'volumes', 'nodeName']) {
        assert.ok(!labels.includes(podField), `${podField} is a pod field, not a container field`);
      }
    });

    test('document symbols outline the manifest', async () => {
      const doc = await open('good-pod.yaml');
      const symbols = await vscode.commands.executeCommand<(vscode.DocumentSymbol | vscode.SymbolInformation)[]>(
        'vscode.executeDocumentSymbolProvider', doc.uri,
      );
      const names: string[] = [];
      const walk = (s: vscode.DocumentSymbol | vscode.SymbolInformation): void => {
        names.push(s.name);
        if ('children' in s) s.children.forEach(walk);
      };
      (symbols ?? []).forEach(walk);
      assert.ok(names.length > 0, 'no document symbols');
      assert.ok(names.some((n) => /hello/.test(n)), `no symbol names the pod or its container: ${JSON.stringify(names)}`);
    });
  });
}
