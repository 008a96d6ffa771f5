// The agent's side of a host session. A host opens a session with Hello (repeated until answered, since the
// first may be swallowed by a half frame the previous host left); the agent answers Welcome with the host's
// nonce. A new Hello ends the previous session: its exec streams are closed (their commands killed) and frames
// still queued for it are dropped. Requests are served concurrently; each gets exactly one Response.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { encodeFrame, encodeJson, FrameDecoder, FrameType, type Frame } from '../protocol/frames';
import { PROTOCOL_VERSION, type EventMessage, type HelloPayload, type Method, type Methods, type RequestMessage, type ResponseMessage, type WelcomePayload } from '../protocol/messages';
import { StreamMux } from '../protocol/mux';
import type { Port } from './port';
import { OCI_NAME } from './tools';

export class RequestError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly extra: Omit<NonNullable<ResponseMessage['error']>, 'message' | 'code'> = {},
  ) {
    super(message);
  }
}

export type Handler<M extends Method> = (params: Methods[M]['params'], session: Session) => Promise<Methods[M]['result']>;

/** One host connection. */
export class Session {
  readonly mux: StreamMux;
  private readonly closers = new Set<() => void>();
  closed = false;

  constructor(
    readonly nonce: string,
    private readonly port: Port,
  ) {
    this.mux = new StreamMux((frame, bulk) => {
      if (!this.closed) this.port.send(frame, bulk);
    });
  }

  /** Runs `fn` when the session ends (exec commands are killed then). */
  onClose(fn: () => void): () => void {
    this.closers.add(fn);
    return () => void this.closers.delete(fn);
  }

  event(e: EventMessage, bulk = false): void {
    if (!this.closed) this.port.send(encodeJson(FrameType.Event, e), bulk);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.mux.closeAll(new Error('the host session ended'));
    for (const fn of [...this.closers]) {
      try {
        fn();
      } catch {
        // Nothing more to do for it.
      }
    }
    this.closers.clear();
  }
}

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return randomUUID();
  }
}

export class Channel {
  private readonly decoder = new FrameDecoder();
  private session: Session | undefined;
  private readonly handlers = new Map<string, Handler<Method>>();
  /**
   * Read on the first Hello, not at start: a template's agent must not make the kernel create its boot id
   * before it is saved, or every clone would share it (`template` until thawed, see thaw.ts).
   */
  private boot: string | undefined;
  /** Set while the VM may be saved as a template: the boot id is not read yet. */
  holdBootId = false;
  private readonly started = Date.now();
  /** Called with the host's clock on each Hello. */
  onHostTime: ((epochMs: number) => void) | undefined;

  constructor(private readonly port: Port) {}

  handle<M extends Method>(method: M, fn: Handler<M>): void {
    this.handlers.set(method, fn as unknown as Handler<Method>);
  }

  /** The current session, if a host is connected. */
  get current(): Session | undefined {
    return this.session && !this.session.closed ? this.session : undefined;
  }

  start(): void {
    this.port.readLoop(
      (chunk) => {
        for (const f of this.decoder.push(chunk)) this.frame(f);
      },
      () => {
        // The host end is gone: whatever it was sending is incomplete.
        this.decoder.reset();
        this.session?.close();
        this.session = undefined;
      },
    );
  }

  event(e: EventMessage, bulk = false): void {
    this.current?.event(e, bulk);
  }

  private frame(f: Frame): void {
    if (f.type === FrameType.Hello) return this.hello(f);
    const s = this.current;
    if (!s) return;
    if (f.type === FrameType.Ping) return this.port.send(encodeFrame(FrameType.Pong, 0, f.payload), false);
    if (f.type === FrameType.Request) return void this.request(s, f);
    s.mux.handle(f);
  }

  private hello(f: Frame): void {
    let h: HelloPayload;
    try {
      h = JSON.parse(f.payload.toString('utf8')) as HelloPayload;
    } catch {
      return;
    }
    if (typeof h.nonce !== 'string') return;
    if (this.session?.nonce !== h.nonce) {
      this.session?.close();
      this.port.clear();
      this.session = new Session(h.nonce, this.port);
    }
    if (typeof h.time === 'number') this.onHostTime?.(h.time);
    if (!this.holdBootId) this.boot ??= bootId();
    const w: WelcomePayload = { version: PROTOCOL_VERSION, nonce: h.nonce, bootId: this.boot ?? 'template', uptimeMs: Date.now() - this.started, kernel: release(), ociRuntime: OCI_NAME };
    this.port.send(encodeJson(FrameType.Welcome, w), false);
  }

  private async request(s: Session, f: Frame): Promise<void> {
    let req: RequestMessage;
    try {
      req = JSON.parse(f.payload.toString('utf8')) as RequestMessage;
    } catch {
      return;
    }
    const reply = (r: Omit<ResponseMessage, 'id'>) => {
      if (!s.closed) this.port.send(encodeJson(FrameType.Response, { id: req.id, ...r }), false);
    };
    const fn = this.handlers.get(req.method);
    if (!fn) return reply({ error: { message: `unknown method ${String(req.method)}`, code: 'NOT_SUPPORTED' } });
    try {
      reply({ result: await fn(req.params ?? ({} as never), s) });
    } catch (err) {
      const e = err as RequestError;
      reply({ error: { message: e.message, ...(e.code ? { code: e.code } : {}), ...(e.extra ?? {}) } });
    }
  }
}
