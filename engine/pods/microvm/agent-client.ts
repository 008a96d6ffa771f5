// The host's end of the channel to one VM's agent: QEMU's unix socket behind the guest's virtio-serial port.
// A session starts with Hello (re-sent, soon at first then every second, until the agent answers: the guest may still be booting,
// or the first Hello may vanish into half a frame a previous host left) and the Welcome that echoes its nonce;
// every frame before that belongs to an older session and is ignored. While connected the host pings once a
// second: an emulated serial port can sit on bytes until more arrive (Kata's agent pinged at 1 Hz for that),
// and a guest that answers nothing at all for `deadAfterMs` (agent hung, kernel stuck, QEMU stopped) is
// reported as unresponsive. What the guest sends is checked before use: it is not trusted.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { Duplex, Readable, Writable } from 'node:stream';
import { encodeFrame, encodeJson, FrameDecoder, FrameType, type Frame } from './protocol/frames';
import { DIAL_REFUSED, PROTOCOL_VERSION, type EventMessage, type ExecStartParams, type GuestFailure, type HelloPayload, type Method, type Methods, type ResponseMessage, type WelcomePayload } from './protocol/messages';
import { StreamMux } from './protocol/mux';
import { StreamPair } from './protocol/stream-pair';

export class AgentError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly container?: string,
    readonly failure?: GuestFailure,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

/** The channel is gone (the VM died, or the guest stopped answering). */
export class AgentGoneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentGoneError';
  }
}

export interface ConnectOptions {
  /** Give up when the agent has not answered by then (it may be booting). */
  timeoutMs: number;
  /** Stop trying early when this says the VM is gone (QEMU exited). */
  alive?: () => boolean;
  pingIntervalMs?: number;
  /** No frame at all for this long: the guest is unresponsive. */
  deadAfterMs?: number;
}

export interface AgentExec {
  stdin?: Writable;
  stdout: Readable;
  stderr?: Readable;
  exit: Promise<number>;
  resize(columns: number, rows: number): void;
  kill(): void;
}

const MAX_TEXT = 64 * 1024;

function clampText(v: unknown, max = MAX_TEXT): string {
  return typeof v === 'string' ? v.slice(0, max) : String(v ?? '').slice(0, max);
}

function checkFailure(v: unknown): GuestFailure | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const f = v as Record<string, unknown>;
  if (f.code !== 'START_FAILED' && f.code !== 'INIT_FAILED') return undefined;
  return {
    code: f.code,
    message: clampText(f.message, 4096),
    ...(typeof f.container === 'string' ? { container: clampText(f.container, 253) } : {}),
    ...(typeof f.reason === 'string' ? { reason: clampText(f.reason, 64) } : {}),
    ...(Number.isInteger(f.exitCode) ? { exitCode: f.exitCode as number } : {}),
  };
}

/** One line of the guest's text, printable ASCII only (no terminal escapes), at most `max` characters. */
function printable(v: string, max = 300): string {
  return v.replace(/[^\x20-\x7e]+/g, ' ').trim().slice(0, max);
}

export class AgentClient extends EventEmitter {
  private readonly decoder = new FrameDecoder();
  private readonly mux: StreamMux;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout }>();
  private readonly execs = new Map<number, { resolve: (code: number) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private nextStream = 4;
  private lastHeard = Date.now();
  private pinger: NodeJS.Timeout | undefined;
  private closedWith: Error | undefined;
  welcome!: WelcomePayload;

  private constructor(
    private readonly socket: Socket,
    private readonly deadAfterMs: number,
  ) {
    super();
    this.mux = new StreamMux((frame) => this.write(frame));
  }

  /** Connects to the VM's control socket and opens a session. */
  static async connect(path: string, o: ConnectOptions): Promise<AgentClient> {
    const deadline = Date.now() + o.timeoutMs;
    let socket: Socket | undefined;
    let lastError = 'no answer';
    while (!socket) {
      if (o.alive && !o.alive()) throw new AgentGoneError('the VM exited before its agent answered');
      if (Date.now() > deadline) throw new AgentGoneError(`the VM's control socket did not accept a connection within ${o.timeoutMs / 1000} s (${lastError})`);
      socket = await new Promise<Socket | undefined>((resolve) => {
        const s = connect(path);
        s.once('connect', () => resolve(s));
        s.once('error', (e) => {
          lastError = e.message;
          s.destroy();
          resolve(undefined);
        });
      });
      if (!socket) await new Promise((r) => setTimeout(r, 20));
    }
    const client = new AgentClient(socket, o.deadAfterMs ?? 30_000);
    try {
      await client.handshake(deadline, o.alive);
    } catch (err) {
      client.close();
      throw err;
    }
    client.startPings(o.pingIntervalMs ?? 1000);
    return client;
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  private write(frame: Buffer): void {
    if (!this.closedWith && !this.socket.destroyed) this.socket.write(frame);
  }

  private handshake(deadline: number, alive?: () => boolean): Promise<void> {
    const nonce = randomBytes(16).toString('hex');
    const hello = () => {
      const h: HelloPayload = { version: PROTOCOL_VERSION, nonce, time: Date.now() };
      this.write(encodeJson(FrameType.Hello, h));
    };
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (err?: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.socket.off('data', onData);
        this.socket.off('close', onClose);
        if (err) return reject(err);
        this.socket.on('data', (chunk: Buffer) => this.data(chunk));
        this.socket.on('close', () => this.end(new AgentGoneError("the VM's control channel closed")));
        this.socket.on('error', () => undefined);
        resolve();
      };
      const onData = (chunk: Buffer) => {
        for (const f of this.decoder.push(chunk)) {
          if (f.type !== FrameType.Welcome) continue;
          try {
            const w = JSON.parse(f.payload.toString('utf8')) as WelcomePayload;
            if (w.nonce !== nonce) continue;
            if (w.version !== PROTOCOL_VERSION) return finish(new AgentError(`the guest agent speaks protocol ${String(w.version)}, this host ${PROTOCOL_VERSION}`, 'VERSION'));
            this.welcome = { version: w.version, nonce, bootId: clampText(w.bootId, 64), uptimeMs: Number(w.uptimeMs) || 0, kernel: clampText(w.kernel, 128), ociRuntime: w.ociRuntime === 'crun' ? 'crun' : 'runc' };
            this.lastHeard = Date.now();
            return finish();
          } catch {
            // Not a Welcome of ours.
          }
        }
      };
      const onClose = () => finish(new AgentGoneError("the VM's control channel closed before the agent answered"));
      this.socket.on('data', onData);
      this.socket.on('close', onClose);
      this.socket.on('error', () => undefined);
      // Soon again at first (a clone restored from a template answers within milliseconds), then once a second.
      let every = 25;
      let timer: NodeJS.Timeout;
      const again = () => {
        timer = setTimeout(() => {
          if (alive && !alive()) return finish(new AgentGoneError('the VM exited before its agent answered'));
          if (Date.now() > deadline) return finish(new AgentGoneError('the guest agent did not answer in time'));
          hello();
          every = Math.min(every * 2, 1000);
          again();
        }, every);
      };
      hello();
      again();
    });
  }

  private startPings(intervalMs: number): void {
    let n = 0;
    this.pinger = setInterval(() => {
      if (Date.now() - this.lastHeard > this.deadAfterMs) {
        this.end(new AgentGoneError(`the guest has not answered for ${Math.round((Date.now() - this.lastHeard) / 1000)} s`), true);
        return;
      }
      const b = Buffer.allocUnsafe(8);
      b.writeBigUInt64BE(BigInt(n++));
      this.write(encodeFrame(FrameType.Ping, 0, b));
    }, intervalMs);
    this.pinger.unref();
  }

  private data(chunk: Buffer): void {
    for (const f of this.decoder.push(chunk)) {
      this.lastHeard = Date.now();
      this.frame(f);
    }
  }

  private frame(f: Frame): void {
    if (this.mux.handle(f)) return;
    if (f.type === FrameType.Response) {
      let r: ResponseMessage;
      try {
        r = JSON.parse(f.payload.toString('utf8')) as ResponseMessage;
      } catch {
        return;
      }
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      clearTimeout(p.timer);
      if (r.error) {
        const e = r.error;
        p.reject(new AgentError(clampText(e.message, 4096), typeof e.code === 'string' ? e.code : undefined, typeof e.container === 'string' ? clampText(e.container, 253) : undefined, checkFailure(e.failure)));
      } else p.resolve(r.result);
      return;
    }
    if (f.type === FrameType.Event) {
      let e: EventMessage;
      try {
        e = JSON.parse(f.payload.toString('utf8')) as EventMessage;
      } catch {
        return;
      }
      if (e.event === 'exec.exit') {
        const done = this.execs.get(e.stream);
        this.execs.delete(e.stream);
        done?.resolve(Number.isInteger(e.exitCode) ? e.exitCode : 255);
        return;
      }
      if (e.event === 'occurrence' && typeof e.reason === 'string' && typeof e.message === 'string') {
        this.emit('occurrence', {
          reason: clampText(e.reason, 64),
          message: clampText(e.message, 4096),
          severity: e.severity === 'Warning' ? 'Warning' : 'Normal',
          ...(typeof e.container === 'string' ? { container: clampText(e.container, 253) } : {}),
        });
        return;
      }
      if (e.event === 'state') this.emit('state');
    }
  }

  request<M extends Method>(method: M, params: Methods[M]['params'], timeoutMs = 60_000): Promise<Methods[M]['result']> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => {
        this.pending.delete(id);
        reject(new AgentError(`the guest agent did not answer ${method} within ${Math.round(timeoutMs / 1000)} s`, 'TIMEOUT'));
      }, timeoutMs) : undefined;
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.write(encodeJson(FrameType.Request, { id, method, params }));
    });
  }

  async exec(p: Omit<ExecStartParams, 'stream'>): Promise<AgentExec> {
    const stream = this.nextStream;
    this.nextStream += 4;
    const stdin = p.stdin ? this.mux.outgoing(stream) : undefined;
    const stdout = this.mux.incoming(stream + 1);
    const stderr = p.tty ? undefined : this.mux.incoming(stream + 2);
    const exit = new Promise<number>((resolve, reject) => this.execs.set(stream, { resolve, reject }));
    exit.catch(() => undefined);
    try {
      await this.request('exec.start', { ...p, stream });
    } catch (err) {
      this.execs.delete(stream);
      for (const s of [stdin, stdout, stderr]) s?.destroy();
      throw err;
    }
    return {
      ...(stdin ? { stdin } : {}),
      stdout,
      ...(stderr ? { stderr } : {}),
      exit,
      resize: (columns, rows) => void this.request('exec.resize', { stream, columns, rows }).catch(() => undefined),
      kill: () => void this.request('exec.kill', { stream }).catch(() => undefined),
    };
  }

  /**
   * A TCP connection to `port` on the guest's loopback, open once the agent has connected. The guest's error
   * words are not printed as they come (they reach a terminal): a refusal gets the host's own message, any
   * other failure the guest's text stripped to printable characters.
   */
  async dial(port: number, timeoutMs = 15_000): Promise<Duplex> {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AgentError(`port must be 1..65535, got ${port}`, 'INVALID');
    const stream = this.nextStream;
    this.nextStream += 4;
    // Both exist before the request: the guest's first bytes may come right behind its answer.
    const pair = new StreamPair(this.mux.incoming(stream + 1), this.mux.outgoing(stream));
    // Its user learns of a reset by 'close' (and its own error listener): the daemon must not fall over one.
    pair.on('error', () => undefined);
    try {
      await this.request('port.dial', { stream, port }, timeoutMs);
    } catch (err) {
      pair.destroy();
      if (err instanceof AgentError && err.code === DIAL_REFUSED) throw new AgentError(`connection refused: nothing listens on port ${port} in the pod (127.0.0.1 or ::1)`, DIAL_REFUSED);
      if (err instanceof AgentError) throw new AgentError(`cannot connect to port ${port} in the pod: ${printable(err.message)}`, err.code);
      throw err;
    }
    return pair;
  }

  /** Ends the session. `unresponsive`: the guest stopped answering (emitted as 'unresponsive'). */
  private end(err: Error, unresponsive = false): void {
    if (this.closedWith) return;
    this.closedWith = err;
    clearInterval(this.pinger);
    this.socket.destroy();
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    for (const [, x] of this.execs) x.reject(err);
    this.execs.clear();
    this.mux.closeAll(err);
    this.emit('gone', err);
    if (unresponsive) this.emit('unresponsive', err);
    this.emit('close', err);
  }

  close(): void {
    this.end(new AgentGoneError('the host closed the channel'));
  }
}
