// Two mux streams (one each way) as one Duplex, as a port dial's connection is used: reading takes from the
// incoming stream (pausing it, so credit stops, when the reader falls behind), writing waits for the outgoing
// stream's credit, end() sends Eof, and a reset of either direction by the peer ends the whole pair.
import { Duplex, type Readable, type Writable } from 'node:stream';

export class StreamPair extends Duplex {
  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
  ) {
    super({ allowHalfOpen: true });
    input.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) input.pause();
    });
    input.on('end', () => this.push(null));
    input.on('error', (err) => this.destroy(err));
    output.on('error', (err) => this.destroy(err));
    // The peer stopped taking bytes: after its own end that is a normal close, before it a reset.
    output.on('reset', () => this.destroy(this.readableEnded ? undefined : new Error('the connection was reset in the pod')));
  }

  override _read(): void {
    this.input.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (error?: Error | null) => void): void {
    this.output.write(chunk, (err) => cb(err ?? null));
  }

  override _final(cb: (error?: Error | null) => void): void {
    this.output.end(() => cb());
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    // Either side not over yet is reset towards the peer (the mux streams do that on destroy).
    this.input.destroy();
    this.output.destroy();
    cb(err);
  }
}
