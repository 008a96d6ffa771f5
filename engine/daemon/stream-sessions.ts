// Exec and logs sessions between their JSON-RPC start and the client's attach connection. A started exec's
// output is held in bounded buffers until the client attaches, so nothing is lost; sessions nobody attaches
// to within ATTACH_TIMEOUT_MS are torn down. Once attached, bytes flow as frames with socket backpressure.
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { PassThrough, pipeline, type Duplex, type Readable, type Writable } from 'node:stream';
import { ATTACH_TIMEOUT_MS, clientFrameProblem, Frame, MAX_FRAME, SESSION_ID } from '../protocol/messages';
import { encodeFrame, exitFrame, FrameDecoder, readResize } from '../protocol/frames';
import type { ExecSession } from '../pods/runtime';
import type { DaemonLog } from './log';

/** Output an exec may produce before its client attaches, per stream, before the command is paused. */
const ATTACH_BUFFER = 1024 * 1024;
/** After an exec's command exits, how long its output streams may take to drain (a background child can hold them open). */
const DRAIN_AFTER_EXIT_MS = 2000;

type Pending =
  | { kind: 'exec'; label: string; exec: ExecSession; timer: NodeJS.Timeout }
  | { kind: 'logs'; label: string; stream: Readable; abort: AbortController; timestamps: boolean; timer: NodeJS.Timeout }
  | { kind: 'dial'; label: string; conn: Duplex; timer: NodeJS.Timeout };

export class StreamSessions {
  private readonly pending = new Map<string, Pending>();
  private readonly live = new Set<Socket>();

  constructor(private readonly log: DaemonLog) {}

  addExec(started: ExecSession, label: string): string {
    const id = randomUUID();
    const exec = buffered(started);
    const timer = this.expire(id, () => cancelExec(exec));
    this.pending.set(id, { kind: 'exec', label, exec, timer });
    return id;
  }

  addLogs(stream: Readable, abort: AbortController, timestamps: boolean, label: string): string {
    const id = randomUUID();
    const timer = this.expire(id, () => {
      abort.abort();
      stream.destroy();
    });
    this.pending.set(id, { kind: 'logs', label, stream, abort, timestamps, timer });
    return id;
  }

  /** A connection into a pod (pods/dial); it waits, unread, for the attach connection. */
  addDial(conn: Duplex, label: string): string {
    const id = randomUUID();
    conn.on('error', () => {});
    const timer = this.expire(id, () => conn.destroy());
    this.pending.set(id, { kind: 'dial', label, conn, timer });
    return id;
  }

  /** Serves an attach connection; `rest` is what arrived after the attach line. */
  attach(id: string, socket: Socket, rest: Buffer): void {
    if (!SESSION_ID.test(id)) {
      socket.end(encodeFrame(Frame.Error, Buffer.from(`an attach line names a session id (a UUID), got ${JSON.stringify(id.slice(0, 40))}`)));
      return;
    }
    const p = this.pending.get(id);
    if (!p) {
      socket.end(encodeFrame(Frame.Error, Buffer.from('no such session (it expired or was already attached)')));
      return;
    }
    this.pending.delete(id);
    clearTimeout(p.timer);
    this.live.add(socket);
    socket.once('close', () => this.live.delete(socket));
    if (p.kind === 'exec') void this.runExec(p.exec, p.label, socket, rest);
    else if (p.kind === 'dial') this.runDial(p.conn, p.label, socket, rest);
    else void this.runLogs(p.stream, p.abort, p.timestamps, p.label, socket);
  }

  /** Sessions started or attached and not over yet. */
  get open(): number {
    return this.pending.size + this.live.size;
  }

  /** Daemon shutdown: drop every stream (pods keep running; only these connections end). */
  closeAll(): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      if (p.kind === 'exec') cancelExec(p.exec);
      else if (p.kind === 'dial') p.conn.destroy();
      else p.abort.abort();
      this.pending.delete(id);
    }
    for (const s of this.live) s.destroy();
  }

  private expire(id: string, cancel: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      this.log.warn(`${p.label}: nobody attached within ${ATTACH_TIMEOUT_MS / 1000} s; dropped`);
      cancel();
    }, ATTACH_TIMEOUT_MS);
    timer.unref();
    return timer;
  }

  private async runExec(exec: ExecSession, label: string, socket: Socket, rest: Buffer): Promise<void> {
    let exited = false;
    socket.once('close', () => {
      if (!exited) {
        this.log.info(`${label}: client went away before the command exited`);
        cancelExec(exec);
      }
    });
    this.readInput(exec, label, socket, rest);
    const outputs = Promise.all([pumpOut(exec.stdout, socket, Frame.Stdout), exec.stderr ? pumpOut(exec.stderr, socket, Frame.Stderr) : undefined]).catch(
      // A stream cut short (client gone, runtime closed it) still lets the exit code through.
      (err: Error) => {
        if (!socket.destroyed) this.log.warn(`${label}: output stream: ${err.message}`);
      },
    );
    try {
      const code = await exec.exit;
      exited = true;
      await Promise.race([outputs, delay(DRAIN_AFTER_EXIT_MS)]);
      this.log.info(`${label}: exited ${code}`);
      // Already ended when the client's input was refused (that Error frame was the last).
      if (!socket.writableEnded) socket.end(exitFrame(code));
    } catch (err) {
      exited = true;
      this.log.warn(`${label}: ${(err as Error).message}`);
      if (!socket.writableEnded) socket.end(encodeFrame(Frame.Error, Buffer.from((err as Error).message)));
    }
  }

  /** An exec's client frames: stdin bytes and EOF, resizes (readClientFrames). */
  private readInput(exec: ExecSession, label: string, socket: Socket, rest: Buffer): void {
    // The command may exit before reading its stdin; a broken pipe there is not the daemon's failure.
    exec.stdin?.on('error', () => {});
    socket.on('error', () => {});
    this.readClientFrames(label, socket, rest, exec.stdin ?? undefined, () => cancelExec(exec), (size) => exec.resize(size));
  }

  /**
   * The client's frames on an attached session: Stdin bytes into `input` (backpressure: a full input pauses the
   * socket until it drains), StdinEnd ends it, Resize goes to `resize` (a session without one refuses it). A
   * frame the client may not send, or a malformed one, calls `stop` and ends the session with an Error frame
   * naming it.
   */
  private readClientFrames(
    label: string,
    socket: Socket,
    rest: Buffer,
    input: Writable | undefined,
    stop: () => void,
    resize?: (size: { columns: number; rows: number }) => void,
  ): void {
    const decoder = new FrameDecoder();
    const refuse = (why: string): void => {
      socket.off('data', onData);
      this.log.warn(`${label}: ${why}; session ended`);
      stop();
      if (!socket.writableEnded) socket.end(encodeFrame(Frame.Error, Buffer.from(why)));
    };
    const onData = (chunk: Buffer): void => {
      let frames;
      try {
        frames = decoder.push(chunk);
      } catch (err) {
        return refuse((err as Error).message);
      }
      for (const f of frames) {
        const problem = f.type === Frame.Resize && !resize ? 'this session takes no Resize frames (it has no terminal)' : clientFrameProblem(f.type, f.payload);
        if (problem) return refuse(problem);
        const open = input !== undefined && !input.writableEnded && !input.destroyed;
        if (f.type === Frame.Stdin && open) {
          if (!input.write(f.payload)) {
            socket.pause();
            input.once('drain', () => socket.resume());
          }
        } else if (f.type === Frame.StdinEnd && open) input.end();
        else if (f.type === Frame.Resize && resize) resize(readResize(f.payload));
      }
    };
    socket.on('data', onData);
    if (rest.length) onData(rest);
  }

  /**
   * A dial session: the client's Stdin frames into the pod's connection (StdinEnd half-closes it), its bytes
   * back as Stdout frames and its end as StdoutEnd; End once both directions are over, Error when the pod
   * side reset it. The client hanging up resets the pod's connection.
   */
  private runDial(conn: Duplex, label: string, socket: Socket, rest: Buffer): void {
    socket.on('error', () => {});
    let over = false;
    socket.once('close', () => {
      if (!over) conn.destroy();
    });
    this.readClientFrames(label, socket, rest, conn, () => {
      over = true;
      conn.destroy();
    });
    const output = pumpOut(conn, socket, Frame.Stdout).then(
      () => {
        if (!socket.destroyed && !socket.writableEnded) socket.write(encodeFrame(Frame.StdoutEnd));
      },
      () => {},
    );
    const onClosed = (): void => {
      over = true;
      const failed = conn.errored;
      if (failed) this.log.info(`${label}: ${failed.message}`);
      // After every byte of the pod's side (the pump ends once the connection has closed).
      void output.then(() => {
        if (!socket.destroyed && !socket.writableEnded) socket.end(failed ? encodeFrame(Frame.Error, Buffer.from(failed.message)) : encodeFrame(Frame.End));
      });
    };
    // The pod's side may have gone (a reset) before the client attached.
    if (conn.closed) onClosed();
    else conn.once('close', onClosed);
  }

  private async runLogs(stream: Readable, abort: AbortController, timestamps: boolean, label: string, socket: Socket): Promise<void> {
    socket.on('error', () => {});
    socket.once('close', () => {
      abort.abort();
      stream.destroy();
    });
    // The client sends nothing on a logs session; reading keeps 'close' timely.
    socket.resume();
    try {
      await pumpOut(stream, socket, Frame.Stdout, (chunk) => logBytes(chunk, timestamps));
      socket.end(encodeFrame(Frame.End));
    } catch (err) {
      if (abort.signal.aborted || socket.destroyed) return;
      this.log.warn(`${label}: ${(err as Error).message}`);
      socket.end(encodeFrame(Frame.Error, Buffer.from((err as Error).message)));
    }
  }
}

/**
 * Reads the command's output from the start into bounded buffers. Left unread until the client attaches, a
 * child process's pipes would be drained and discarded by Node when the command exits (a fast `echo` lost).
 */
function buffered(exec: ExecSession): ExecSession {
  const hold = (src: Readable): Readable => {
    const buf = new PassThrough({ highWaterMark: ATTACH_BUFFER });
    pipeline(src, buf, () => {});
    return buf;
  };
  return { ...exec, stdout: hold(exec.stdout), stderr: exec.stderr && hold(exec.stderr), resize: (size) => exec.resize(size), ...(exec.kill ? { kill: () => exec.kill!() } : {}) };
}

function cancelExec(exec: ExecSession): void {
  // Nobody will read its output or send it input again: end the command itself.
  exec.kill?.();
  exec.stdin?.on('error', () => {});
  exec.stdin?.end();
  exec.stdout.destroy();
  exec.stderr?.destroy();
}

/** Copies a stream into frames of `type`, waiting for the socket to drain when its buffer is full. */
async function pumpOut(src: Readable, socket: Socket, type: Frame, render: (chunk: unknown) => Buffer = toBytes): Promise<void> {
  for await (const chunk of src) {
    // Gone, or ended after the exit code was sent (output outlived DRAIN_AFTER_EXIT_MS).
    if (socket.destroyed || socket.writableEnded) return;
    const bytes = render(chunk);
    for (let at = 0; at < bytes.length; at += MAX_FRAME) {
      if (!socket.write(encodeFrame(type, bytes.subarray(at, at + MAX_FRAME)))) await drained(socket);
    }
  }
}

function toBytes(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return Buffer.from(typeof chunk === 'string' ? chunk : String(chunk));
}

/** Log chunks are text already, or (an object-mode log stream) entries to print the way `podsmith logs` does. */
function logBytes(chunk: unknown, timestamps: boolean): Buffer {
  if (typeof chunk === 'object' && chunk !== null && !(chunk instanceof Uint8Array) && typeof (chunk as { line?: unknown }).line === 'string') {
    const e = chunk as { time?: string; line: string; partial?: boolean };
    return Buffer.from(`${timestamps && e.time ? e.time + ' ' : ''}${e.line}${e.partial ? '' : '\n'}`);
  }
  return toBytes(chunk);
}

function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());
