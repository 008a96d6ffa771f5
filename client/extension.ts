// Podsmith's VS Code extension: starts the Podsmith language server and wires it to YAML/JSON editors.
// All linting, hovers, completion and fixes come from the server; this file only starts and stops it.
import * as vscode from 'vscode';
import { LanguageClient, RevealOutputChannelOn, type LanguageClientOptions } from 'vscode-languageclient/node';
import { CONFIG_SECTION, documentSelector } from './selector';
import { serverOptions } from './server-options';
import { LocalEngine } from './engine/local';
import { register as registerLogs } from './logs';
import { register as registerTerminal } from './terminal';

const CLIENT_ID = 'podsmith'; // Also the prefix of the `podsmith.trace.server` setting the client reads.

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Podsmith');
  context.subscriptions.push(output);

  // Terminals and log tabs, over the local engine (registered before the language server starts, whose
  // failure must not take them away).
  const engine = new LocalEngine(context.extensionPath);
  context.subscriptions.push(engine);
  registerTerminal(context, engine);
  registerLogs(context, engine);

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
    outputChannel: output,
    // Server log lines stay in the channel instead of popping it open; crashes use the client's restart policy.
    revealOutputChannelOn: RevealOutputChannelOn.Never,
  };
  client = new LanguageClient(CLIENT_ID, 'Podsmith', serverOptions(context.asAbsolutePath('dist/server.js')), clientOptions);

  context.subscriptions.push(
    vscode.commands.registerCommand('podsmith.restartServer', async () => {
      if (!client) return;
      output.appendLine('Restarting the Podsmith language server.');
      await client.restart();
    }),
  );

  // Awaited so that a start failure shows up as an activation error instead of vanishing.
  await client.start();
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) await c.stop();
}
