// How the client starts the bundled language server: a Node module over IPC in its own process.
import { TransportKind, type ServerOptions } from 'vscode-languageclient/node';

/** `serverModule` is the absolute path of dist/server.js inside the installed extension. */
export function serverOptions(serverModule: string): ServerOptions {
  // Same options for run and debug: the debug variant is only picked when the extension host itself runs under
  // --inspect, and an inspector port there would clash between several windows.
  const run = { module: serverModule, transport: TransportKind.ipc };
  return { run, debug: run };
}
