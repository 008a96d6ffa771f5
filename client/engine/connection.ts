// What the extension's modules see of one host's engine, local or remote: its state, a connected daemon client,
// and the daemon's events. The local engine (host-connection.ts) and a remote one over SSH
// (remote-connection.ts) both provide it, so the pod store, tree, commands and the terminal and logs modules
// work the same on every host.
import type * as vscode from 'vscode';
import type { DaemonClient } from '../../engine/client/daemon-client';
import type { PodEvent } from '../../engine/pods/types';
import type { HelloResult } from '../../engine/protocol/messages';

export interface EngineConnection extends vscode.Disposable {
  readonly host: string;
  readonly kind: 'local' | 'remote';
  /** local: idle, connecting, connected, stopped, unavailable; remote adds unreachable, auth-failed, host-key-refused. */
  readonly state: string;
  /** Why it is not connected. */
  readonly error?: string;
  readonly info?: HelloResult;
  readonly onDidChangeState: vscode.Event<void>;
  /** A new connection (first, or after the daemon or the SSH connection came back): time to (re)load the pods. */
  readonly onDidConnect: vscode.Event<DaemonClient>;
  readonly onEvent: vscode.Event<PodEvent>;
  connected(): DaemonClient | undefined;
  /** A connected client; autoStart: start the daemon (locally) or connect (remote) when needed. */
  client(autoStart?: boolean): Promise<DaemonClient>;
  /** Looks for a running engine without starting anything; never throws. */
  probe(): void;
  /** Where this engine is, for tooltips. */
  describeLocation(): string;
}
