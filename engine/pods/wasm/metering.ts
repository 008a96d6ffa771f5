// Fuel metering and a memory cap by rewriting the module (no wasmtime here, and V8 has no fuel of its own):
//   - a mutable i64 global `__podsmith_fuel`, set by the runtime before `_start`, is charged at every function
//     entry (the instructions of the body outside loops) and at every loop header (the instructions of that
//     loop's body outside nested loops). Every unbounded execution goes through a call or a loop back-edge, so
//     it always pays; a branch that skips code still pays for it (the budget is an upper bound of the work).
//     When the fuel goes negative the module executes `unreachable`: the runtime tells that trap from the
//     module's own by looking at the fuel;
//   - every `memory.grow` becomes a call to an appended function that first compares the new size with
//     `__podsmith_mem_limit` (pages, set by the runtime) and, past it, sets `__podsmith_oom` and traps, so a
//     module that grows past its memory limit is stopped (OOMKilled) rather than seeing the growth fail.
// Only things appended to index spaces are added (a type, a function, three globals, three exports), so no
// existing index moves. Exception handling, threads and other proposals the decoder does not know make the
// module unmeterable (MeteringUnsupported): the runtime then falls back to CPU-time accounting.
import { ByteWriter, encodeName, joinVector, putSection, Reader, sleb, splitVector, uleb, writeModule, WasmFormatError, type Section } from './binary';
import type { ModuleInfo } from './module-info';

export const FUEL_EXPORT = '__podsmith_fuel';
export const MEM_LIMIT_EXPORT = '__podsmith_mem_limit';
export const OOM_EXPORT = '__podsmith_oom';
/** Bump when the rewrite changes: cached rewrites are keyed by it. */
export const METERING_VERSION = 1;

export class MeteringUnsupported extends Error {
  override readonly name = 'MeteringUnsupported';
}

const OP_LOOP = 0x03;
const OP_MEMORY_GROW = 0x40;

function blockType(r: Reader): void {
  const b = r.peek();
  // Empty (0x40), a value type (one byte), else a type index as a signed 33-bit LEB128.
  if (b === 0x40 || b === 0x7f || b === 0x7e || b === 0x7d || b === 0x7c || b === 0x7b || b === 0x70 || b === 0x6f) r.byte();
  else r.skipSigned(33);
}

function memarg(r: Reader): void {
  const align = r.u32();
  if (align & 0x40) r.u32(); // multi-memory: an explicit memory index
  r.u32();
}

/** Skips the immediates of a 0xFC-prefixed instruction. */
function prefixedFC(r: Reader): void {
  const sub = r.u32();
  if (sub <= 7) return; // saturating truncations
  switch (sub) {
    case 8: // memory.init
      r.u32();
      r.u32();
      return;
    case 9: // data.drop
    case 13: // elem.drop
    case 15: // table.grow
    case 16: // table.size
    case 17: // table.fill
      r.u32();
      return;
    case 10: // memory.copy
    case 12: // table.init
    case 14: // table.copy
      r.u32();
      r.u32();
      return;
    case 11: // memory.fill
      r.u32();
      return;
    default:
      throw new MeteringUnsupported(`instruction 0xfc ${sub} is not known to the metering rewriter`);
  }
}

/** Skips the immediates of a SIMD (0xFD-prefixed) instruction. */
function prefixedFD(r: Reader): void {
  const sub = r.u32();
  if (sub <= 11 || sub === 92 || sub === 93) return memarg(r);
  if (sub === 12 || sub === 13) return r.skip(16);
  if (sub >= 21 && sub <= 34) return r.skip(1);
  if (sub >= 84 && sub <= 91) {
    memarg(r);
    r.skip(1);
    return;
  }
  if (sub > 275) throw new MeteringUnsupported(`SIMD instruction ${sub} is not known to the metering rewriter`);
}

/** Decodes one instruction (opcode and immediates); returns the opcode. */
function instruction(r: Reader): number {
  const start = r.pos;
  const op = r.byte();
  switch (true) {
    case op === 0x02 || op === 0x03 || op === 0x04:
      blockType(r);
      break;
    case op === 0x00 || op === 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x1a || op === 0x1b || op === 0xd1:
      break;
    case op === 0x0c || op === 0x0d || op === 0x10 || op === 0x12 || op === 0xd2:
      r.u32();
      break;
    case op === 0x0e: {
      for (let n = r.u32(); n > 0; n--) r.u32();
      r.u32();
      break;
    }
    case op === 0x11 || op === 0x13:
      r.u32();
      r.u32();
      break;
    case op === 0x1c: {
      const n = r.u32();
      r.skip(n);
      break;
    }
    case op >= 0x20 && op <= 0x26:
      r.u32();
      break;
    case op >= 0x28 && op <= 0x3e:
      memarg(r);
      break;
    case op === 0x3f || op === 0x40:
      r.u32();
      break;
    case op === 0x41:
      r.skipSigned(32);
      break;
    case op === 0x42:
      r.skipSigned(64);
      break;
    case op === 0x43:
      r.skip(4);
      break;
    case op === 0x44:
      r.skip(8);
      break;
    case op >= 0x45 && op <= 0xc4:
      break;
    case op === 0xd0:
      r.skipSigned(33);
      break;
    case op === 0xfc:
      prefixedFC(r);
      break;
    case op === 0xfd:
      prefixedFD(r);
      break;
    case op >= 0x06 && op <= 0x0a:
    case op === 0x18 || op === 0x19:
      throw new MeteringUnsupported('the module uses exception handling, which the metering rewriter does not support');
    case op === 0xfe:
      throw new MeteringUnsupported('the module uses atomics (threads), which the metering rewriter does not support');
    default:
      throw new MeteringUnsupported(`opcode 0x${op.toString(16)} at offset ${start} is not known to the metering rewriter`);
  }
  return op;
}

interface Globals {
  fuel: number;
  memLimit: number;
  oom: number;
}

function charge(g: Globals, cost: number): number[] {
  return [
    0x23, ...uleb(g.fuel), // global.get $fuel
    0x42, ...sleb(cost), // i64.const cost
    0x7d, // i64.sub
    0x24, ...uleb(g.fuel), // global.set $fuel
    0x23, ...uleb(g.fuel), // global.get $fuel
    0x42, 0x00, // i64.const 0
    0x53, // i64.lt_s
    0x04, 0x40, 0x00, 0x0b, // if unreachable end
  ];
}

/**
 * One function body with fuel charges inserted and memory.grow redirected to `growFn`. Two passes: the first
 * decodes every instruction to count each region's instructions and note where loops start and where
 * memory.grow is; the second copies the body with the insertions.
 */
function rewriteBody(body: Uint8Array, g: Globals, growFn: number | undefined, out: ByteWriter): void {
  const r = new Reader(body);
  for (let n = r.u32(); n > 0; n--) {
    r.u32();
    const t = r.byte();
    if (t === 0x63 || t === 0x64) throw new MeteringUnsupported('the module uses typed references (GC), which the metering rewriter does not support');
  }
  const localsEnd = r.pos;
  // Region 0 is the function body outside loops; region n the n-th loop's body outside nested loops.
  const costs = [0];
  const frames: number[] = [0];
  // Offsets where a loop instruction ends (a charge goes there) and where memory.grow starts and ends.
  const loopEnds: number[] = [];
  const grows: number[] = [];
  while (frames.length > 0) {
    const start = r.pos;
    const op = instruction(r);
    const region = frames[frames.length - 1];
    costs[region]++;
    if (op === OP_LOOP) {
      costs.push(0);
      frames.push(costs.length - 1);
      loopEnds.push(r.pos);
    } else if (op === 0x02 || op === 0x04) frames.push(region);
    else if (op === 0x0b) frames.pop();
    else if (op === OP_MEMORY_GROW && growFn !== undefined) grows.push(start, r.pos);
  }
  if (r.pos !== body.length) throw new WasmFormatError('function body does not end where its size says');

  const growCall = growFn !== undefined ? [0x10, ...uleb(growFn)] : [];
  const chunk = new ByteWriter();
  chunk.bytes(body.subarray(0, localsEnd));
  chunk.bytes(charge(g, Math.max(1, costs[0])));
  let at = localsEnd;
  let li = 0;
  let gi = 0;
  while (li < loopEnds.length || gi < grows.length) {
    if (gi < grows.length && (li >= loopEnds.length || grows[gi] < loopEnds[li])) {
      chunk.bytes(body.subarray(at, grows[gi]));
      chunk.bytes(growCall);
      at = grows[gi + 1];
      gi += 2;
    } else {
      chunk.bytes(body.subarray(at, loopEnds[li]));
      chunk.bytes(charge(g, Math.max(1, costs[li + 1])));
      at = loopEnds[li];
      li++;
    }
  }
  chunk.bytes(body.subarray(at));
  const bytes = chunk.result();
  out.bytes(uleb(bytes.length));
  out.bytes(bytes);
}

function growBody(g: Globals): number[] {
  const body = [
    0x00, // no locals
    0x3f, 0x00, 0xad, // memory.size, i64.extend_i32_u
    0x20, 0x00, 0xad, // local.get 0, i64.extend_i32_u
    0x7c, // i64.add
    0x23, ...uleb(g.memLimit), 0xad, // global.get $limit, i64.extend_i32_u
    0x56, // i64.gt_u
    0x04, 0x40, 0x41, 0x01, 0x24, ...uleb(g.oom), 0x00, 0x0b, // if: $oom = 1, unreachable
    0x20, 0x00, 0x40, 0x00, // local.get 0, memory.grow
    0x0b,
  ];
  return [...uleb(body.length), ...body];
}

/** The metered module. Throws MeteringUnsupported when it cannot be metered. */
export function meterModule(info: ModuleInfo): Buffer {
  for (const name of [FUEL_EXPORT, MEM_LIMIT_EXPORT, OOM_EXPORT])
    if (info.exports.some((e) => e.name === name)) throw new MeteringUnsupported(`the module already exports ${name}`);
  const sections: Section[] = info.sections.map((s) => ({ ...s }));
  const code = sections.find((s) => s.id === 10);
  if (!code) throw new MeteringUnsupported('the module has no code');
  const hasMemory = info.memories.length > 0 || info.imports.some((i) => i.kind === 'memory');
  if (info.memories.length + info.imports.filter((i) => i.kind === 'memory').length > 1) throw new MeteringUnsupported('the module has several memories');

  const firstGlobal = info.importedGlobals + info.definedGlobals;
  const g: Globals = { fuel: firstGlobal, memLimit: firstGlobal + 1, oom: firstGlobal + 2 };
  const growType = info.types;
  const growFn = hasMemory ? info.importedFunctions + info.definedFunctions : undefined;

  // Globals: fuel (i64), the memory limit in pages (i32) and the OOM flag (i32), all mutable.
  const globals = sections.find((s) => s.id === 6);
  const oldGlobals = globals ? splitVector(globals.payload) : { count: 0, entries: new Uint8Array() };
  putSection(sections, {
    id: 6,
    payload: joinVector(oldGlobals.count + 3, oldGlobals.entries, [0x7e, 0x01, 0x42, 0x00, 0x0b], [0x7f, 0x01, 0x41, ...sleb(65536), 0x0b], [0x7f, 0x01, 0x41, 0x00, 0x0b]),
  });
  const exportsSection = sections.find((s) => s.id === 7);
  const oldExports = exportsSection ? splitVector(exportsSection.payload) : { count: 0, entries: new Uint8Array() };
  putSection(sections, {
    id: 7,
    payload: joinVector(
      oldExports.count + 3,
      oldExports.entries,
      [...encodeName(FUEL_EXPORT), 0x03, ...uleb(g.fuel)],
      [...encodeName(MEM_LIMIT_EXPORT), 0x03, ...uleb(g.memLimit)],
      [...encodeName(OOM_EXPORT), 0x03, ...uleb(g.oom)],
    ),
  });

  const bodies = new ByteWriter();
  const r = new Reader(code.payload);
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    const size = r.u32();
    rewriteBody(r.bytes(size), g, growFn, bodies);
  }
  if (growFn !== undefined) {
    const types = sections.find((s) => s.id === 1);
    const oldTypes = types ? splitVector(types.payload) : { count: 0, entries: new Uint8Array() };
    putSection(sections, { id: 1, payload: joinVector(oldTypes.count + 1, oldTypes.entries, [0x60, 0x01, 0x7f, 0x01, 0x7f]) });
    const funcs = sections.find((s) => s.id === 3)!;
    const oldFuncs = splitVector(funcs.payload);
    putSection(sections, { id: 3, payload: joinVector(oldFuncs.count + 1, oldFuncs.entries, uleb(growType)) });
    bodies.bytes(growBody(g));
  }
  putSection(sections, { id: 10, payload: joinVector(n + (growFn !== undefined ? 1 : 0), bodies.result()) });
  return writeModule(sections);
}

/** The module with its memory's maximum lowered to `pages` (for modules that cannot be metered). */
export function capMemory(info: ModuleInfo, pages: number): Buffer {
  const sections: Section[] = info.sections.map((s) => ({ ...s }));
  if (info.memories.length !== 1) return writeModule(sections);
  const m = info.memories[0];
  const max = m.max === undefined ? pages : Math.min(m.max, pages);
  putSection(sections, { id: 5, payload: joinVector(1, [0x01, ...uleb(m.min), ...uleb(max)]) });
  return writeModule(sections);
}
