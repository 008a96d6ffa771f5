// The language server: a Node module over IPC that lints YAML/JSON editors. All linting, hovers, completion and
// fixes come from the server; this module only starts, restarts and stops it.
import * as vscode from 'vscode';
import { LanguageClient, RevealOutputChannelOn, type LanguageClientOptions } from 'vscode-languageclient/node';
import { CONFIG_SECTION, documentSelector } from './selector';
import { serverOptions } from './server-options';

const CLIENT_ID = 'podsmith'; // Also the prefix of the `podsmith.trace.server` setting the client reads.

export class LanguageServer implements vscode.Disposable {
  private client?: LanguageClient;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.OutputChannel,
  ) {}

  /** Awaited by activation, so that a start failure shows up as an activation error instead of vanishing. */
  async start(): Promise<void> {
    const clientOptions: LanguageClientOptions = {
      documentSelector,
      synchronize: { configurationSection: CONFIG_SECTION },
      middleware: {
        workspace: {
          // The server pulls the `podsmith` section per document (workspace/configuration), so folder settings
          // apply. Pushing values here would read resource-scoped settings without a resource (VS Code warns, and
          // the value may be the wrong folder's): send only the change signal and let the server pull.
          didChangeConfiguration: (_sections, next) => next(undefined),
        },
      },
      outputChannel: this.output,
      // Server log lines stay in the channel instead of popping it open; crashes use the client's restart policy.
      revealOutputChannelOn: RevealOutputChannelOn.Never,
    };
    this.client = new LanguageClient(CLIENT_ID, 'Podsmith', serverOptions(this.context.asAbsolutePath('dist/server.js')), clientOptions);
    this.context.subscriptions.push(
      vscode.commands.registerCommand('podsmith.restartServer', async () => {
        if (!this.client) return;
        this.output.appendLine('Restarting the Podsmith language server.');
        await this.client.restart();
      }),
    );
    await this.client.start();
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.stop();
  }

  dispose(): void {
    void this.stop();
  }
}
