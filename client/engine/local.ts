// A small EngineAccess for the terminal and logs modules: one daemon client for this machine, connected as the
// CLI connects (engine/client/connect.ts, started on demand), and connected again after the daemon went away.
// The full engine access of the extension (tree, run, status) supersedes it; it lives apart so the two meet in
// one place.
import { join } from 'node:path';
import * as vscode from 'vscode';
import { connectDaemon } from '../../engine/client/connect';
import type { DaemonClient } from '../../engine/client/daemon-client';
import { podsmithHome } from '../../engine/home';
import type { EngineAccess, PodRef } from './access';

const LOCAL = 'local';

export class LocalEngine implements EngineAccess, vscode.Disposable {
  private connecting: Promise<DaemonClient> | undefined;
  private current: DaemonClient | undefined;
  private readonly settingWatch: vscode.Disposable;

  constructor(private readonly extensionPath: string) {
    // Another home is another engine: later calls connect there.
    this.settingWatch = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('podsmith.engine.home')) this.forget();
    });
  }

  client(host: string = LOCAL): Promise<DaemonClient> {
    if (host !== LOCAL) return Promise.reject(new Error(`host "${host}" is not known: only the local engine is supported so far`));
    if (!this.connecting) {
      const attempt = this.connect();
      this.connecting = attempt;
      // A failed attempt is not kept: the next call tries again (the daemon may be startable by then).
      attempt.catch(() => {
        if (this.connecting === attempt) this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  refOf(arg: unknown): PodRef | undefined {
    if (typeof arg !== 'object' || arg === null) return undefined;
    // Tree items carry their reference as `podRef`; keybindings and other extensions pass it plainly.
    const o = ('podRef' in arg && typeof arg.podRef === 'object' && arg.podRef !== null ? arg.podRef : arg) as Record<string, unknown>;
    if (typeof o.pod !== 'string' || o.pod === '') return undefined;
    if (o.host !== undefined && (typeof o.host !== 'string' || o.host === '')) return undefined;
    if (o.container !== undefined && typeof o.container !== 'string') return undefined;
    return { host: (o.host as string | undefined) ?? LOCAL, pod: o.pod, ...(o.container ? { container: o.container as string } : {}) };
  }

  dispose(): void {
    this.settingWatch.dispose();
    this.forget();
  }

  private forget(): void {
    this.current?.close();
    this.current = undefined;
    this.connecting = undefined;
  }

  private async connect(): Promise<DaemonClient> {
    const setting = vscode.workspace.getConfiguration('podsmith').get<string>('engine.home')?.trim();
    const client = await connectDaemon({
      home: setting || podsmithHome(process.env),
      clientName: 'podsmith-vscode',
      // A real Node runs the daemon: inside Electron, process.execPath is the editor itself.
      daemonCommand: { command: process.versions.electron ? 'node' : process.execPath, args: [join(this.extensionPath, 'dist', 'podsmith.js'), 'daemon'] },
    });
    this.current = client;
    client.onClose(() => {
      if (this.current === client) {
        this.current = undefined;
        this.connecting = undefined;
      }
    });
    return client;
  }
}
