// Port forwards started from the editor: a local port to a port on the pod's loopback, through the same code as
// `podsmith port-forward` (engine/network/port-forward.ts): on this machine a helper in the pod's network
// namespace run by the engine's Node, or for a microVM pod the daemon's dial sessions (network/pod-side.ts);
// on a remote host the same helper there, reached through the host's SSH connection. A session ends when
// asked, when the pod goes away, when the connection is lost, or with the window.
import * as vscode from 'vscode';
import { openPodSide } from '../../engine/network/pod-side';
import { startPortForwardVia, type PortForwardOptions, type PortForwardSession } from '../../engine/network/port-forward';
import { LOCAL_HOST, type PodRef } from '../engine/access';
import type { Ctx } from '../ctx';

export interface Forward {
  pod: string;
  host: string;
  local: number;
  remote: number;
  close(): Promise<void>;
}

export class PortForwards implements vscode.Disposable {
  private readonly active = new Set<Forward>();

  constructor(private readonly ctx: Ctx) {}

  list(): Forward[] {
    return [...this.active];
  }

  private async open(ref: PodRef, local: number, remote: number, opts: PortForwardOptions): Promise<PortForwardSession> {
    if (ref.host === LOCAL_HOST) {
      const conn = this.ctx.engine.local;
      const client = await conn.client(true);
      const node = await conn.node();
      return startPortForwardVia(await openPodSide(client, ref.pod, { nodePath: node.path }), [{ local, remote }], opts);
    }
    const conn = this.ctx.engine.remote(ref.host);
    if (!conn) throw new Error(`host "${ref.host}" is not known`);
    return startPortForwardVia(await conn.podSide(ref.pod), [{ local, remote }], opts);
  }

  /** Listens on 127.0.0.1:`local` (default: the pod port's number when free, else any free port). */
  async start(ref: PodRef, pod: string, remote: number, local?: number): Promise<Forward> {
    const opts = { onConnectionError: (_p: unknown, message: string) => this.ctx.log(`port forward to ${pod}: ${message}`) };
    let session: PortForwardSession;
    try {
      session = await this.open(ref, local ?? remote, remote, opts);
    } catch (err) {
      // The same number is taken (or privileged) here: any free port will do, unless the caller named one.
      if (local !== undefined || !/cannot listen/.test((err as Error).message)) throw err;
      session = await this.open(ref, 0, remote, opts);
    }
    let closedByUs = false;
    const forward: Forward = {
      pod,
      host: ref.host,
      local: session.ports[0].local,
      remote,
      close: async () => {
        closedByUs = true;
        await session.close();
      },
    };
    this.active.add(forward);
    const where = ref.host === LOCAL_HOST ? pod : `${pod} on ${ref.host}`;
    this.ctx.log(`forwarding 127.0.0.1:${forward.local} -> pod ${where} port ${remote}`);
    void session.done.then(({ reason }) => {
      this.active.delete(forward);
      this.ctx.log(`port forward 127.0.0.1:${forward.local} -> ${where}:${remote} ended: ${reason}`);
      if (!closedByUs) void vscode.window.showInformationMessage(`Podsmith: port forward to ${where}:${remote} ended: ${reason}`);
    });
    return forward;
  }

  dispose(): void {
    for (const f of this.active) void f.close();
    this.active.clear();
  }
}
