// `podsmith.pod.describe`: `podsmith describe POD` as a read-only document (status, containers, conditions,
// events), formatted by the CLI's own describe formatter. The document follows the pod: when the pod store
// sees it change, an open describe document is read again.
import * as vscode from 'vscode';
import { describePod } from '../../engine/cli/format/pod-describe';
import { PodError } from '../../engine/pods/types';
import type { PodRef } from '../engine/access';
import type { PodStore } from '../engine/pod-store';
import type { Ctx } from '../ctx';

export const DESCRIBE_SCHEME = 'podsmith-describe';

/** podsmith-describe:/HOST/POD.describe: the tab reads "POD.describe". */
export function describeUri(ref: PodRef): vscode.Uri {
  return vscode.Uri.from({ scheme: DESCRIBE_SCHEME, path: `/${ref.host}/${ref.pod}.describe` });
}

function refOfUri(uri: vscode.Uri): PodRef | undefined {
  const m = /^\/([^/]+)\/(.+)\.describe$/.exec(uri.path);
  return m ? { host: m[1], pod: m[2] } : undefined;
}

export class DescribeProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly subs: vscode.Disposable[] = [];

  private readonly storeSubs = new Map<PodStore, vscode.Disposable>();

  constructor(private readonly ctx: Ctx) {
    this.follow();
    this.subs.push(ctx.engine.onDidChangeHosts(() => this.follow()));
  }

  /** One subscription per host's pod store, as hosts come and go. */
  private follow(): void {
    const now = new Set(this.ctx.engine.stores.values());
    for (const [store, sub] of this.storeSubs) {
      if (now.has(store)) continue;
      sub.dispose();
      this.storeSubs.delete(store);
    }
    for (const store of now) {
      if (this.storeSubs.has(store)) continue;
      this.storeSubs.set(
        store,
        store.onDidChange((c) => {
          for (const doc of vscode.workspace.textDocuments) {
            if (doc.uri.scheme !== DESCRIBE_SCHEME) continue;
            const ref = refOfUri(doc.uri);
            if (ref && ref.host === c.host && (c.kind === 'reset' || ref.pod === c.pod.name)) this.changed.fire(doc.uri);
          }
        }),
      );
    }
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const ref = refOfUri(uri);
    if (!ref) return `not a pod: ${uri.toString()}\n`;
    try {
      // Never starts a daemon: reading a document again after the engine stopped must not restart it.
      const conn = this.ctx.engine.connection(ref.host);
      const client = conn.connected() ?? (await conn.client(false).catch(() => undefined));
      if (!client) {
        return conn.kind === 'remote'
          ? `Not connected to ${ref.host} (${conn.state}${conn.error ? `: ${conn.error}` : ''}): pod ${ref.pod}'s state is unknown until the connection is back. Pods there keep running.\n`
          : `The Podsmith engine is not running on ${ref.host}: pod ${ref.pod}'s state is unknown until it runs again.\n`;
      }
      const pod = await client.getPod(ref.pod);
      // Events are recorded by name and uid; the uid keeps a re-created pod's history apart.
      const events = (await client.listEvents(pod.name)).filter((e) => !('uid' in e) || e.uid === pod.uid);
      return describePod(pod, events, Date.now());
    } catch (err) {
      if (err instanceof PodError && err.code === 'NOT_FOUND') return `Pod ${ref.pod} does not exist (any more) on ${ref.host}.\n`;
      return `Cannot describe pod ${ref.pod}: ${(err as Error).message}\n`;
    }
  }

  dispose(): void {
    this.subs.forEach((s) => s.dispose());
    for (const sub of this.storeSubs.values()) sub.dispose();
    this.changed.dispose();
  }
}

export function registerDescribe(ctx: Ctx): DescribeProvider {
  const provider = new DescribeProvider(ctx);
  ctx.extension.subscriptions.push(provider, vscode.workspace.registerTextDocumentContentProvider(DESCRIBE_SCHEME, provider));
  return provider;
}
