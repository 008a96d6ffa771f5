// Reads zstd frame and block headers as the compressed bytes go by (without decoding) so a frame that asks for
// a huge window is refused before fzstd allocates it: fzstd allocates the declared window (up to 2 GiB) per
// frame, so one 20-byte hostile header could otherwise take 2 GiB of memory.
// Format: RFC 8878, sections 3.1.1 (frames), 3.1.1.1 (frame header), 3.1.1.2 (blocks), 3.1.2 (skippable frames).

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

type State =
  | { k: 'magic' }
  | { k: 'skip-size' }
  | { k: 'skip'; left: number }
  | { k: 'descriptor' }
  | { k: 'header'; need: number; descriptor: number }
  | { k: 'block'; checksum: boolean }
  | { k: 'body'; left: number; last: boolean; checksum: boolean }
  | { k: 'checksum'; left: number };

export class ZstdFrameGuard {
  private state: State = { k: 'magic' };
  private field: number[] = [];

  constructor(private readonly maxWindow: number) {}

  /** Throws (a plain Error naming the problem) when the stream is not zstd or a frame's window is too large. */
  check(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      const s = this.state;
      if (s.k === 'skip' || s.k === 'body' || s.k === 'checksum') {
        const n = Math.min(s.left, chunk.length - i);
        i += n;
        s.left -= n;
        if (s.left === 0) this.afterSpan(s);
        continue;
      }
      this.field.push(chunk[i++]);
      if (this.field.length === this.fieldSize(s)) {
        const f = this.field;
        this.field = [];
        this.onField(s, f);
      }
    }
  }

  /** Throws when the stream stops in the middle of a frame. */
  end(): void {
    if (this.state.k !== 'magic' || this.field.length > 0) throw new Error('zstd stream is truncated');
  }

  private fieldSize(s: State): number {
    switch (s.k) {
      case 'magic':
      case 'skip-size':
        return 4;
      case 'descriptor':
        return 1;
      case 'header':
        return s.need;
      case 'block':
        return 3;
      default:
        return 0;
    }
  }

  private onField(s: State, f: number[]): void {
    const le = (b: number[]): number => b.reduce((acc, byte, idx) => acc + byte * 2 ** (8 * idx), 0);
    switch (s.k) {
      case 'magic': {
        const magic = le(f);
        if (magic === ZSTD_MAGIC) this.state = { k: 'descriptor' };
        else if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) this.state = { k: 'skip-size' };
        else throw new Error('not a zstd frame (bad magic number)');
        return;
      }
      case 'skip-size': {
        const left = le(f);
        this.state = left === 0 ? { k: 'magic' } : { k: 'skip', left };
        return;
      }
      case 'descriptor': {
        const d = f[0];
        if (d & 0x08) throw new Error('zstd frame header has the reserved bit set');
        const single = (d >> 5) & 1;
        const fcsFlag = d >> 6;
        const dictFlag = d & 3;
        const need = (single ? 0 : 1) + [0, 1, 2, 4][dictFlag] + (fcsFlag === 0 ? single : 1 << fcsFlag);
        if (need === 0) this.state = { k: 'block', checksum: ((d >> 2) & 1) === 1 };
        else this.state = { k: 'header', need, descriptor: d };
        return;
      }
      case 'header': {
        const d = s.descriptor;
        const single = (d >> 5) & 1;
        const fcsFlag = d >> 6;
        const dictBytes = [0, 1, 2, 4][d & 3];
        let window: number;
        if (single) {
          const fcsBytes = f.slice(dictBytes);
          window = le(fcsBytes) + (fcsFlag === 1 ? 256 : 0);
        } else {
          const exponent = f[0] >> 3;
          const base = 2 ** (10 + exponent);
          window = base + (base / 8) * (f[0] & 7);
        }
        if (window > this.maxWindow) {
          throw new Error(`zstd frame needs a ${window}-byte window; the limit is ${this.maxWindow}`);
        }
        this.state = { k: 'block', checksum: ((d >> 2) & 1) === 1 };
        return;
      }
      case 'block': {
        const h = le(f);
        const last = (h & 1) === 1;
        const type = (h >> 1) & 3;
        const size = h >>> 3;
        if (type === 3) throw new Error('zstd block has the reserved block type');
        // An RLE block carries one byte however large its output.
        const left = type === 1 ? 1 : size;
        if (left === 0) this.afterSpan({ k: 'body', left: 0, last, checksum: s.checksum });
        else this.state = { k: 'body', left, last, checksum: s.checksum };
        return;
      }
    }
  }

  private afterSpan(s: State): void {
    if (s.k === 'body') {
      if (!s.last) this.state = { k: 'block', checksum: s.checksum };
      else this.state = s.checksum ? { k: 'checksum', left: 4 } : { k: 'magic' };
    } else {
      this.state = { k: 'magic' };
    }
  }
}
