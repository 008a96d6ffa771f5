/// <reference types="mocha" />
// The extension activates on YAML/JSON, as a workspace (remote) extension, with its command registered.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { unknownRuleIds } from './rules';
import { EXTENSION_ID, fixture, open, revertAndCloseAll } from './util';

export function defineActivationTests(): void {
  suite('activation', () => {
    suiteTeardown(revertAndCloseAll);

    test('the rule ids these tests expect are in the engine registry', () => {
      assert.deepEqual(unknownRuleIds(), []);
    });

    test('activates only for YAML and JSON languages', () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(ext, `${EXTENSION_ID} is not loaded`);
      // Checked on the manifest: whether it is already active here depends on the workbench (it creates
      // settings models in JSON at times of its own choosing, which fires onLanguage:json).
      assert.deepEqual(ext.packageJSON.activationEvents, ['onLanguage:yaml', 'onLanguage:json', 'onLanguage:jsonc']);
    });

    test('activates on a YAML file and runs in the workspace extension host', async () => {
      const doc = await open('good-pod.yaml');
      assert.equal(doc.languageId, 'yaml', 'the built-in YAML language should claim .yaml files');
      const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
      await ext.activate(); // resolves once the activation already triggered by the open has finished
      assert.equal(ext.isActive, true);
      assert.equal(ext.extensionKind, vscode.ExtensionKind.Workspace);
      // code-server: the extension host is remote and runs on the server's Node, not in Electron.
      assert.ok(vscode.env.remoteName, 'expected a remote extension host');
    });

    test('contributes the restart command and the settings', async () => {
      const commands = await vscode.commands.getCommands(true);
      assert.ok(commands.includes('podsmith.restartServer'));
      // The settings are resource-scoped (folder settings apply), so read them for a file.
      const cfg = vscode.workspace.getConfiguration('podsmith', fixture('bad-pod.yaml'));
      assert.equal(cfg.get('enable'), true);
      assert.deepEqual(cfg.get('rules'), {});
      // trace.server is window-scoped: read without a resource.
      assert.equal(vscode.workspace.getConfiguration('podsmith').get('trace.server'), 'off');
    });
  });
}
