// The engine as the extension's modules see it: one connection and one pod store per host ("local" for now;
// remote hosts come later), EngineAccess for the terminal and logs modules, and the Node that runs helpers.
import * as vscode from 'vscode';
import type { DaemonClient } from '../../engine/client/daemon-client';
import type { EngineSettings } from '../config';
import { LOCAL_HOST, refOf, type EngineAccess, type PodRef } from './access';
import { HostConnection } from './host-connection';
import { PodStore } from './pod-store';

export interface EngineOptions {
  settings(): EngineSettings;
  podsmithJs: string;
  clientName: string;
  log(line: string): void;
}

export class Engine implements EngineAccess, vscode.Disposable {
  readonly local: HostConnection;
  readonly stores: Map<string, PodStore>;

  constructor(opts: EngineOptions) {
    this.local = new HostConnection({ host: LOCAL_HOST, ...opts });
    this.stores = new Map([[LOCAL_HOST, new PodStore(this.local)]]);
  }

  hosts(): HostConnection[] {
    return [this.local];
  }

  connection(host: string = LOCAL_HOST): HostConnection {
    if (host !== LOCAL_HOST) throw new Error(`host "${host}" is not known: only the local engine is supported so far`);
    return this.local;
  }

  store(host: string = LOCAL_HOST): PodStore {
    this.connection(host);
    return this.stores.get(host)!;
  }

  client(host: string = LOCAL_HOST): Promise<DaemonClient> {
    return this.connection(host).client(true);
  }

  refOf(arg: unknown): PodRef | undefined {
    return refOf(arg);
  }

  dispose(): void {
    for (const s of this.stores.values()) s.dispose();
    this.local.dispose();
  }
}
