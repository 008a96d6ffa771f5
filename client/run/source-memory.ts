// Which manifest each pod was run from (its Uri and document index), so Restart can delete a pod and run it
// again from the same document, and Port Forward can offer the ports it declares. Kept in the workspace state:
// it survives reloads of the window; a pod run from the CLI has no entry.
import * as vscode from 'vscode';

export interface PodSource {
  uri: string;
  /** The YAML document's index in the file when it ran. */
  index: number;
  /** The pod's name (Restart finds the document by it when documents moved). */
  name: string;
}

const KEY = 'podsmith.podSources';
const MAX = 500;

export const sourceKey = (host: string, namespace: string, name: string): string => `${host}/${namespace}/${name}`;

export class SourceMemory {
  constructor(private readonly state: vscode.Memento) {}

  private all(): Record<string, PodSource> {
    return this.state.get<Record<string, PodSource>>(KEY) ?? {};
  }

  get(host: string, namespace: string, name: string): PodSource | undefined {
    return this.all()[sourceKey(host, namespace, name)];
  }

  async set(host: string, namespace: string, name: string, source: PodSource): Promise<void> {
    const all = this.all();
    const key = sourceKey(host, namespace, name);
    delete all[key]; // re-inserted last: the oldest entries go first when the map is full
    all[key] = source;
    const keys = Object.keys(all);
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX))) delete all[k];
    await this.state.update(KEY, all);
  }
}
