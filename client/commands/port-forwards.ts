// Port forwards started from the editor: a local port to a port on the pod's loopback, through the same code as
// `podsmith port-forward` (engine/network/port-forward.ts, a helper in the pod's network namespace run by the
// engine's Node). A session ends when asked, when the pod goes away, or with the window.
import * as vscode from 'vscode';
import { startPortForward, type PortForwardSession } from '../../engine/network/port-forward';
import type { PodRef } from '../engine/access';
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

  /** Listens on 127.0.0.1:`local` (default: the pod port's number when free, else any free port). */
  async start(ref: PodRef, pod: string, remote: number, local?: number): Promise<Forward> {
    const conn = this.ctx.engine.connection(ref.host);
    const client = await conn.client(true);
    const [pid, node] = await Promise.all([client.podNetns(ref.pod), conn.node()]);
    const opts = {
      nodePath: node.path,
      onConnectionError: (_p: unknown, message: string) => this.ctx.log(`port forward to ${pod}: ${message}`),
    };
    let session: PortForwardSession;
    try {
      session = await startPortForward(pid, [{ local: local ?? remote, remote }], opts);
    } catch (err) {
      // The same number is taken (or privileged) here: any free port will do, unless the caller named one.
      if (local !== undefined) throw err;
      session = await startPortForward(pid, [{ local: 0, remote }], opts);
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
    this.ctx.log(`forwarding 127.0.0.1:${forward.local} -> pod ${pod} port ${remote}`);
    void session.done.then(({ reason }) => {
      this.active.delete(forward);
      this.ctx.log(`port forward 127.0.0.1:${forward.local} -> ${pod}:${remote} ended: ${reason}`);
      if (!closedByUs) void vscode.window.showInformationMessage(`Podsmith: port forward to ${pod}:${remote} ended: ${reason}`);
    });
    return forward;
  }

  dispose(): void {
    for (const f of this.active) void f.close();
    this.active.clear();
  }
}
