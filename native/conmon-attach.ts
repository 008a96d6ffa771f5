// conmon's attach protocol over its SOCK_SEQPACKET socket `<socket-dir-path>/<cuuid>/attach`, as verified
// against conmon 2.1.6 (test/native/seqpacket.test.ts): every message from conmon is one byte naming the
// stream (2 = stdout, 3 = stderr) followed by the bytes read from that pipe; every message to conmon is raw
// stdin for the container (only with `conmon -i`); shutting down our write side closes the container's stdin
// (unless --leave-stdin-open); the socket reaches end of stream when conmon exits.
import { join } from 'node:path';
import { SeqpacketSocket } from './seqpacket';

export const CONMON_STDOUT = 2;
export const CONMON_STDERR = 3;
// conmon reads each client message into a 32 KiB buffer and drops the rest of a longer SEQPACKET message
// (measured: 40000 bytes sent, 32768 echoed), so stdin goes in 8 KiB messages, the size conmon sends back.
const STDIN_CHUNK = 8192;

export type AttachStream = 'stdout' | 'stderr';
export interface AttachFrame {
  stream: AttachStream;
  data: Buffer;
}

export function conmonAttachPath(socketDirPath: string, cuuid: string): string {
  return join(socketDirPath, cuuid, 'attach');
}

export function parseAttachFrame(msg: Buffer): AttachFrame {
  if (msg.length === 0) throw new Error('empty conmon attach message');
  if (msg[0] === CONMON_STDOUT) return { stream: 'stdout', data: msg.subarray(1) };
  if (msg[0] === CONMON_STDERR) return { stream: 'stderr', data: msg.subarray(1) };
  throw new Error(`unknown conmon attach stream id ${msg[0]}`);
}

export class ConmonAttach {
  #socket: SeqpacketSocket;

  private constructor(socket: SeqpacketSocket) {
    this.#socket = socket;
  }

  static async connect(attachSocketPath: string, signal?: AbortSignal): Promise<ConmonAttach> {
    return new ConmonAttach(await SeqpacketSocket.connect(attachSocketPath, signal));
  }

  /** Output frames until conmon closes the socket (the container exited and conmon is done). */
  async *frames(signal?: AbortSignal): AsyncGenerator<AttachFrame> {
    for await (const msg of this.#socket.messages(signal)) yield parseAttachFrame(msg);
  }

  /** Sends bytes to the container's stdin, in messages small enough for conmon's read buffer. */
  async writeStdin(data: Uint8Array, signal?: AbortSignal): Promise<void> {
    for (let off = 0; off < data.length; off += STDIN_CHUNK) await this.#socket.send(data.subarray(off, off + STDIN_CHUNK), signal);
  }

  /** End of input: conmon closes the container's stdin. Output keeps flowing. */
  closeStdin(): void {
    this.#socket.shutdownWrite();
  }

  close(): void {
    this.#socket.close();
  }
}
