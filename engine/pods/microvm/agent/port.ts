// The guest end of the control channel: the virtio-serial port named `agent` (/dev/vportNpM; no udev here,
// so it is found by name in sysfs). The port is opened once, read-write, and read and written through libuv's
// thread pool, so neither a blocked read (no host connected) nor a blocked write (the host stopped reading)
// ever blocks the agent's event loop. A read of 0 bytes means the host end is not connected (the daemon is
// down or restarting): the session is over, and reading resumes after a short pause. Frames queue in two
// lanes: priority (responses, pongs, credits) goes before bulk (stream data, Eof, exec exits), which keeps its
// order.
import { open, read, readdirSync, readFileSync, write } from 'node:fs';
import { AGENT_PORT_NAME } from '../guest/init-script';

export function findAgentPort(): string {
  for (const p of readdirSync('/sys/class/virtio-ports')) {
    try {
      if (readFileSync(`/sys/class/virtio-ports/${p}/name`, 'utf8').trim() === AGENT_PORT_NAME) return `/dev/${p}`;
    } catch {
      // Not a port with a name.
    }
  }
  throw new Error(`no virtio-serial port named ${AGENT_PORT_NAME}`);
}

/** Bytes written to the port in one call at most. */
const WRITE_BATCH = 64 * 1024;

export class Port {
  private priority: Buffer[] = [];
  private bulk: Buffer[] = [];
  private writing = false;
  private readonly buf = Buffer.allocUnsafe(64 * 1024);
  /**
   * How often a disconnected port is read again. 100 ms costs a restarted daemon nothing it would notice; a
   * template (frozen, then restored as a clone) polls closely, since its host is waiting for the first answer.
   */
  idlePollMs = 100;

  private constructor(private readonly fd: number) {}

  static open(path: string): Promise<Port> {
    return new Promise((resolve, reject) => open(path, 'r+', (err, fd) => (err ? reject(err) : resolve(new Port(fd)))));
  }

  /** Reads forever: `onData` per chunk, `onHangup` when the host end is found disconnected. */
  readLoop(onData: (chunk: Buffer) => void, onHangup: () => void): void {
    const next = () =>
      read(this.fd, this.buf, 0, this.buf.length, null, (err, n) => {
        if (err || n === 0) {
          onHangup();
          setTimeout(next, err ? 500 : this.idlePollMs);
          return;
        }
        onData(Buffer.from(this.buf.subarray(0, n)));
        next();
      });
    next();
  }

  send(frame: Buffer, bulk: boolean): void {
    (bulk ? this.bulk : this.priority).push(frame);
    this.pump();
  }

  /** Drops what the previous session still had queued (it is not written yet, so nobody waits for it). */
  clear(): void {
    this.priority = [];
    this.bulk = [];
  }

  private take(): Buffer | undefined {
    const lane = this.priority.length ? this.priority : this.bulk;
    if (!lane.length) return undefined;
    const parts: Buffer[] = [];
    let size = 0;
    while (lane.length && (size === 0 || size + lane[0].length <= WRITE_BATCH)) {
      const b = lane.shift()!;
      parts.push(b);
      size += b.length;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
  }

  private pump(): void {
    if (this.writing) return;
    const chunk = this.take();
    if (!chunk) return;
    this.writing = true;
    const writeFrom = (at: number) =>
      write(this.fd, chunk, at, chunk.length - at, null, (err, n) => {
        if (!err && at + n < chunk.length) return writeFrom(at + n);
        // A failed write loses that batch; the host notices the gap (a missing response times out).
        if (err) process.stderr.write(`podsmith-agent: port write failed: ${err.message}\n`);
        this.writing = false;
        this.pump();
      });
    writeFrom(0);
  }
}
