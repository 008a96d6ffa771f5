// A minimal QMP client (QEMU's JSON monitor on a unix socket): one command at a time, each answered by a
// `return` or an `error`; asynchronous events are skipped. Only the template builder uses it (stop, migrate,
// query-migrate, quit), on a VM that runs nothing but Podsmith's own guest.
import { connect, type Socket } from 'node:net';

export class QmpError extends Error {}

export class Qmp {
  private buffer = '';
  private waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void } | undefined;
  private ended: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffer += text;
      for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line) this.message(line);
      }
    });
    const end = (e?: Error) => {
      this.ended ??= new QmpError(`the QMP connection closed${e ? `: ${e.message}` : ''}`);
      this.waiting?.reject(this.ended);
      this.waiting = undefined;
    };
    socket.on('error', end);
    socket.on('close', () => end());
  }

  /** Connects (retrying while QEMU has not created the socket yet) and leaves capabilities negotiation mode. */
  static async open(path: string, timeoutMs: number, alive: () => boolean): Promise<Qmp> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const socket = await new Promise<Socket | undefined>((resolve) => {
        const s = connect(path);
        s.once('connect', () => resolve(s));
        s.once('error', () => {
          s.destroy();
          resolve(undefined);
        });
      });
      if (socket) {
        const qmp = new Qmp(socket);
        // The greeting comes first; the first command's answer follows it.
        await new Promise<void>((resolve, reject) => (qmp.waiting = { resolve: () => resolve(), reject }));
        await qmp.execute('qmp_capabilities');
        return qmp;
      }
      if (!alive()) throw new QmpError('QEMU exited before its monitor answered');
      if (Date.now() > deadline) throw new QmpError(`QEMU's monitor did not answer within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private message(line: string): void {
    let m: { QMP?: unknown; return?: unknown; error?: { desc?: string }; event?: string };
    try {
      m = JSON.parse(line) as typeof m;
    } catch {
      return;
    }
    if (m.event) return;
    const w = this.waiting;
    this.waiting = undefined;
    if (!w) return;
    if (m.error) w.reject(new QmpError(m.error.desc ?? 'QMP error'));
    else w.resolve(m.QMP ?? m.return);
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.ended) return Promise.reject(this.ended);
    if (this.waiting) return Promise.reject(new QmpError('one QMP command at a time'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}) }) + '\n');
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
