// The extension's shared state, created once by activation and handed to every module: the output channel,
// the engine (connections and pod stores per host), where pods came from, and the run diagnostics.
import * as vscode from 'vscode';
import { version } from '../package.json';
import { engineSettings } from './config';
import { Engine } from './engine/engine';
import { editorPrompts } from './engine/ssh-prompts';
import { SourceMemory } from './run/source-memory';

export class Ctx implements vscode.Disposable {
  readonly output: vscode.OutputChannel;
  readonly engine: Engine;
  readonly sources: SourceMemory;
  /** Diagnostics of failed runs, on the manifest line the engine's error names (apart from the linter's). */
  readonly runDiagnostics: vscode.DiagnosticCollection;
  /** How SSH logins ask (host keys with their fingerprint, passphrases and passwords, never stored). */
  readonly prompts = editorPrompts();

  constructor(readonly extension: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('Podsmith');
    this.engine = new Engine({
      settings: engineSettings,
      podsmithJs: extension.asAbsolutePath('dist/podsmith.js'),
      clientName: `podsmith-vscode ${version}`,
      log: (line) => this.log(line),
      prompts: this.prompts,
    });
    this.sources = new SourceMemory(extension.workspaceState);
    this.runDiagnostics = vscode.languages.createDiagnosticCollection('podsmith-run');
  }

  log(line: string): void {
    this.output.appendLine(`[${new Date().toISOString()}] ${line}`);
  }

  dispose(): void {
    this.engine.dispose();
    this.runDiagnostics.dispose();
    this.output.dispose();
  }
}
