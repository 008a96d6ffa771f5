// Drives the real bundled server (dist/server.js) over stdio or node IPC, the way an editor does. Waiting is
// always on events (a notification, a response, the process exiting), never on fixed sleeps.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import {
  createMessageConnection,
  IPCMessageReader,
  IPCMessageWriter,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import type { ClientCapabilities, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';

export const ROOT = resolve(__dirname, '../..');
export const SERVER = join(ROOT, 'dist/server.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : /\.(ts|js|json)$/.test(name) ? st.mtimeMs : 0);
  }
  return newest;
}

/** Rebuilds dist/server.js when it is missing or older than any source it bundles. */
export async function ensureServerBundle(): Promise<void> {
  const sources = Math.max(newestMtime(join(ROOT, 'server')), newestMtime(join(ROOT, 'engine')));
  if (existsSync(SERVER) && statSync(SERVER).mtimeMs >= sources) return;
  await build({
    absWorkingDir: ROOT,
    entryPoints: ['server/main.ts'],
    outfile: 'dist/server.js',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    logLevel: 'warning',
  });
}

export interface Harness {
  child: ChildProcess;
  connection: MessageConnection;
  /** Settings answered to workspace/configuration, keyed by section. */
  settings: Record<string, unknown>;
  /** Every configuration request the server made. */
  configurationRequests: unknown[];
  /** Resolves with the next diagnostics for `uri` that satisfy `accept`. */
  diagnostics(uri: string, accept?: (p: PublishDiagnosticsParams) => boolean): Promise<PublishDiagnosticsParams>;
  /** Resolves when the process has exited, with its exit code. */
  exited: Promise<number | null>;
  stderr(): string;
  /** Kills the process if it is still running (for `after` hooks). */
  dispose(): Promise<void>;
}

export function launch(transport: 'stdio' | 'ipc' = 'stdio'): Harness {
  const child =
    transport === 'stdio'
      ? spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(process.execPath, [SERVER, '--node-ipc'], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const connection =
    transport === 'stdio'
      ? createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!))
      : createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));

  const waiters: { uri: string; accept: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    for (const w of [...waiters]) {
      if (w.uri === p.uri && w.accept(p)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(p);
      }
    }
  });
  const h: Harness = {
    child,
    connection,
    settings: {},
    configurationRequests: [],
    diagnostics(uri, accept = () => true) {
      return new Promise((resolve) => waiters.push({ uri, accept, resolve }));
    },
    exited,
    stderr: () => err,
    async dispose() {
      connection.dispose();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill();
        await exited;
      }
    },
  };
  connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) => {
    h.configurationRequests.push(params);
    return params.items.map((i) => (i.section ? h.settings[i.section] ?? null : null));
  });
  connection.onRequest('client/registerCapability', () => null);
  connection.onRequest('client/unregisterCapability', () => null);
  connection.onNotification('window/logMessage', () => undefined);
  connection.listen();
  return h;
}

export const CAPABILITIES: ClientCapabilities = {
  workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true }, workspaceEdit: { documentChanges: true } },
  textDocument: {
    synchronization: { dynamicRegistration: false },
    publishDiagnostics: { versionSupport: true },
    hover: { contentFormat: ['markdown', 'plaintext'] },
    completion: { completionItem: { snippetSupport: true, insertTextModeSupport: { valueSet: [1, 2] } } },
    codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source.fixAll'] } } },
    documentSymbol: { hierarchicalDocumentSymbolSupport: true },
  },
};

export async function initialize(h: Harness, capabilities: ClientCapabilities = CAPABILITIES): Promise<unknown> {
  const result = await h.connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    capabilities,
    workspaceFolders: null,
  });
  await h.connection.sendNotification('initialized', {});
  return result;
}

export async function shutdown(h: Harness): Promise<number | null> {
  await h.connection.sendRequest('shutdown');
  await h.connection.sendNotification('exit');
  return h.exited;
}
