// The client end of an attach connection (messages.ts, "Attach framing"): stdout and stderr as Readables that
// pause the socket when their reader falls behind, stdin as a Writable that turns writes into frames, resize,
// and how the session ended (exit code, normal end, or an error).
import { Duplex as DuplexImpl, Readable, Writable, type Duplex } from 'node:stream';
import { ATTACH_PREFIX, Frame, MAX_FRAME } from '../protocol/messages';
import { encodeFrame, FrameDecoder, resizeFrame } from '../protocol/frames';
import type { DaemonTransport } from './transport';

export type SessionEnd = { kind: 'exit'; code: number } | { kind: 'end' } | { kind: 'error'; message: string };

export interface AttachedSession {
  stdout: Readable;
  stderr: Readable;
  stdin: Writable;
  resize(size: { columns: number; rows: number }): void;
  /** How the daemon ended the session; a dropped connection is an error. */
  ended: Promise<SessionEnd>;
  /** Hangs up: the daemon cancels the session (stops a follow, ends an exec's stdin). */
  close(): void;
}

/**
 * A dial session (pods/dial) as one Duplex: writes go to the pod's connection, end() half-closes it, reads
 * are its bytes back. The daemon ending the session with an error (a reset in the pod, a lost connection)
 * destroys the Duplex with that error; destroying it hangs up, which resets the pod's connection.
 */
export function dialStream(s: AttachedSession): Duplex {
  const conn = new DuplexImpl({
    allowHalfOpen: true,
    read: () => void s.stdout.resume(),
    write: (chunk: Buffer, _enc, cb) => s.stdin.write(chunk, () => cb()),
    final: (cb) => s.stdin.end(() => cb()),
    destroy: (err, cb) => {
      s.close();
      cb(err);
    },
  });
  s.stdout.on('data', (chunk: Buffer) => {
    if (!conn.push(chunk)) s.stdout.pause();
  });
  s.stdout.on('end', () => conn.push(null));
  void s.ended.then((end) => {
    if (end.kind === 'error') conn.destroy(new Error(end.message));
    else {
      // Over on the pod's side: once its bytes are read, a write side still open has nowhere to go.
      const cut = (): void => void (!conn.destroyed && !conn.writableFinished && conn.destroy());
      if (conn.readableEnded) cut();
      else conn.once('end', cut);
    }
  });
  return conn;
}

export async function attachSession(transport: DaemonTransport, session: string): Promise<AttachedSession> {
  const socket = await transport.dial();
  socket.write(`${ATTACH_PREFIX}${session}\n`);
  return wrap(socket, transport);
}

function wrap(socket: Duplex, transport: DaemonTransport): AttachedSession {
  const resume = (): void => void socket.resume();
  const stdout = new Readable({ read: resume });
  const stderr = new Readable({ read: resume });
  let end: SessionEnd | undefined;
  let hungUp = false;
  let settle!: (e: SessionEnd) => void;
  const ended = new Promise<SessionEnd>((r) => (settle = r));
  const decoder = new FrameDecoder();

  socket.on('data', (chunk: Buffer) => {
    let frames;
    try {
      frames = decoder.push(chunk);
    } catch (err) {
      end = { kind: 'error', message: `bad data from the daemon: ${(err as Error).message}` };
      socket.destroy();
      return;
    }
    for (const f of frames) {
      switch (f.type) {
        case Frame.Stdout:
          if (!stdout.push(f.payload)) socket.pause();
          break;
        case Frame.Stderr:
          if (!stderr.push(f.payload)) socket.pause();
          break;
        case Frame.StdoutEnd:
          stdout.push(null);
          break;
        case Frame.Exit:
          end = { kind: 'exit', code: f.payload.readInt32BE(0) };
          break;
        case Frame.End:
          end = { kind: 'end' };
          break;
        case Frame.Error:
          end = { kind: 'error', message: f.payload.toString('utf8') };
          break;
        default:
          break;
      }
    }
  });
  socket.on('error', (err) => {
    end ??= { kind: 'error', message: transport.lost?.() ?? `connection to the daemon failed: ${err.message}` };
  });
  socket.once('close', () => {
    stdout.push(null);
    stderr.push(null);
    // Our own hang-up is a normal end; the daemon's without a last frame is not.
    // A transport that lost its carrier (an SSH connection) says so; the stream ends rather than hangs.
    settle(end ?? (hungUp ? { kind: 'end' } : { kind: 'error', message: transport.lost?.() ?? `the daemon closed the stream unexpectedly (see ${transport.logHint})` }));
  });

  const stdin = new Writable({
    write(chunk: Buffer, _enc, cb) {
      let ok = true;
      for (let at = 0; at < chunk.length; at += MAX_FRAME) ok = socket.write(encodeFrame(Frame.Stdin, chunk.subarray(at, at + MAX_FRAME)));
      if (ok || socket.destroyed) return cb();
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        cb();
      };
      socket.on('drain', done);
      socket.on('close', done);
    },
    final(cb) {
      if (!socket.destroyed) socket.write(encodeFrame(Frame.StdinEnd));
      cb();
    },
  });
  // Writes after the session ended are dropped, not thrown at the user.
  stdin.on('error', () => {});

  return {
    stdout,
    stderr,
    stdin,
    resize: (size) => void (!socket.destroyed && socket.write(resizeFrame(size))),
    ended,
    close: () => {
      hungUp = true;
      socket.destroy();
    },
  };
}
