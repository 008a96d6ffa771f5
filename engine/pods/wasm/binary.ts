// Just enough of the WebAssembly binary format to read a module's sections and write new ones: LEB128
// integers, names, vectors and the section framing. The metering rewriter and the module checks use it; a
// malformed module fails here with WasmFormatError (V8's own compile gives the authoritative message).

export class WasmFormatError extends Error {
  override readonly name = 'WasmFormatError';
}

export const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

export class Reader {
  constructor(
    readonly buf: Uint8Array,
    public pos = 0,
    readonly end = buf.length,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  byte(): number {
    if (this.pos >= this.end) throw new WasmFormatError(`unexpected end of data at offset ${this.pos}`);
    return this.buf[this.pos++];
  }

  peek(): number {
    if (this.pos >= this.end) throw new WasmFormatError(`unexpected end of data at offset ${this.pos}`);
    return this.buf[this.pos];
  }

  /** Unsigned LEB128, at most 32 bits. */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) throw new WasmFormatError(`integer too large at offset ${this.pos}`);
        return result;
      }
      shift += 7;
    }
    throw new WasmFormatError(`integer too long at offset ${this.pos}`);
  }

  /** Skips a signed LEB128 of at most `bits` bits. */
  skipSigned(bits: number): void {
    const max = Math.ceil(bits / 7);
    for (let i = 0; i < max; i++) if ((this.byte() & 0x80) === 0) return;
    throw new WasmFormatError(`integer too long at offset ${this.pos}`);
  }

  skip(n: number): void {
    if (this.pos + n > this.end) throw new WasmFormatError(`unexpected end of data at offset ${this.pos}`);
    this.pos += n;
  }

  bytes(n: number): Uint8Array {
    const start = this.pos;
    this.skip(n);
    return this.buf.subarray(start, this.pos);
  }

  name(): string {
    return Buffer.from(this.bytes(this.u32())).toString('utf8');
  }
}

export function uleb(n: number): number[] {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`bad unsigned LEB128 value ${n}`);
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

export function sleb(value: bigint | number): number[] {
  let n = BigInt(value);
  const out: number[] = [];
  for (;;) {
    const b = Number(n & 0x7fn);
    n >>= 7n;
    const signBit = (b & 0x40) !== 0;
    if ((n === 0n && !signBit) || (n === -1n && signBit)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

export function encodeName(s: string): number[] {
  const b = Buffer.from(s, 'utf8');
  return [...uleb(b.length), ...b];
}

export interface Section {
  id: number;
  /** The payload (without id and size). */
  payload: Uint8Array;
}

export function readSections(buf: Uint8Array): Section[] {
  if (buf.length < 8 || WASM_MAGIC.some((b, i) => buf[i] !== b)) throw new WasmFormatError('not a WebAssembly module (bad magic number or version)');
  const r = new Reader(buf, 8);
  const out: Section[] = [];
  while (!r.done) {
    const id = r.byte();
    const size = r.u32();
    out.push({ id, payload: r.bytes(size) });
  }
  return out;
}

export function writeModule(sections: Section[]): Buffer {
  const parts: Uint8Array[] = [Uint8Array.from(WASM_MAGIC)];
  for (const s of sections) parts.push(Uint8Array.from([s.id, ...uleb(s.payload.length)]), s.payload);
  return Buffer.concat(parts);
}

/** A vector section's entry count and the bytes of its entries. */
export function splitVector(payload: Uint8Array): { count: number; entries: Uint8Array } {
  const r = new Reader(payload);
  const count = r.u32();
  return { count, entries: payload.subarray(r.pos) };
}

/** A vector payload: count then the entries' bytes. */
export function joinVector(count: number, ...entries: (Uint8Array | number[])[]): Uint8Array {
  return Buffer.concat([Uint8Array.from(uleb(count)), ...entries.map((e) => (e instanceof Uint8Array ? e : Uint8Array.from(e)))]);
}

/** Where a known section goes (custom sections, id 0, may sit anywhere). */
export const SECTION_ORDER: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };

/** Inserts a section at its place in the order; replaces one of the same id. */
export function putSection(sections: Section[], section: Section): void {
  const same = sections.findIndex((s) => s.id === section.id);
  if (same >= 0) {
    sections[same] = section;
    return;
  }
  const rank = SECTION_ORDER[section.id];
  const after = sections.findIndex((s) => s.id !== 0 && SECTION_ORDER[s.id] > rank);
  if (after < 0) sections.push(section);
  else sections.splice(after, 0, section);
}

export interface Limits {
  min: number;
  max?: number;
  shared: boolean;
  is64: boolean;
}

export function readLimits(r: Reader): Limits {
  const flags = r.byte();
  if (flags > 0x07) throw new WasmFormatError(`bad limits flags 0x${flags.toString(16)}`);
  const is64 = (flags & 0x04) !== 0;
  const read = () => {
    if (!is64) return r.u32();
    // 64-bit limits: only their size matters here (such memories are refused), so read them as numbers.
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = r.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new WasmFormatError('limit too long');
    }
  };
  const min = read();
  const max = flags & 0x01 ? read() : undefined;
  return { min, ...(max !== undefined ? { max } : {}), shared: (flags & 0x02) !== 0, is64 };
}

export function encodeLimits(l: Limits): number[] {
  const flags = (l.max !== undefined ? 1 : 0) | (l.shared ? 2 : 0);
  return [flags, ...uleb(l.min), ...(l.max !== undefined ? uleb(l.max) : [])];
}

/** An append-only byte buffer that grows by doubling. */
export class ByteWriter {
  private buf = new Uint8Array(1024);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  bytes(data: Uint8Array | readonly number[]): void {
    this.ensure(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
  }

  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
