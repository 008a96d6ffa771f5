// What the runtime needs to know about a module before anything runs it: its imports (all must be WASI
// preview 1 functions node:wasi provides), its memories (declared sizes against the pod's limits), its exports
// (a WASI command exports `_start` and `memory`) and the index spaces the metering rewriter appends to.
import { readLimits, readSections, Reader, WasmFormatError, type Limits, type Section } from './binary';

export type ExternKind = 'function' | 'table' | 'memory' | 'global' | 'tag';
const KINDS: ExternKind[] = ['function', 'table', 'memory', 'global', 'tag'];

export interface ModuleImport {
  module: string;
  name: string;
  kind: ExternKind;
  limits?: Limits;
}

export interface ModuleExport {
  name: string;
  kind: ExternKind;
  index: number;
}

export interface ModuleInfo {
  sections: Section[];
  imports: ModuleImport[];
  exports: ModuleExport[];
  /** Defined memories (imported ones are in `imports`). */
  memories: Limits[];
  types: number;
  importedFunctions: number;
  importedGlobals: number;
  definedFunctions: number;
  definedGlobals: number;
}

function kindOf(byte: number): ExternKind {
  const k = KINDS[byte];
  if (!k) throw new WasmFormatError(`unknown import/export kind 0x${byte.toString(16)}`);
  return k;
}

function count(s: Section | undefined): number {
  return s ? new Reader(s.payload).u32() : 0;
}

export function readModuleInfo(bytes: Uint8Array): ModuleInfo {
  const sections = readSections(bytes);
  const find = (id: number) => sections.find((s) => s.id === id);
  const imports: ModuleImport[] = [];
  const importSection = find(2);
  if (importSection) {
    const r = new Reader(importSection.payload);
    for (let n = r.u32(); n > 0; n--) {
      const module = r.name();
      const name = r.name();
      const kind = kindOf(r.byte());
      let limits: Limits | undefined;
      if (kind === 'function') r.u32();
      else if (kind === 'table') {
        r.byte();
        readLimits(r);
      } else if (kind === 'memory') limits = readLimits(r);
      else if (kind === 'global') {
        r.byte();
        r.byte();
      } else {
        r.byte();
        r.u32();
      }
      imports.push({ module, name, kind, ...(limits ? { limits } : {}) });
    }
  }
  const memories: Limits[] = [];
  const memorySection = find(5);
  if (memorySection) {
    const r = new Reader(memorySection.payload);
    for (let n = r.u32(); n > 0; n--) memories.push(readLimits(r));
  }
  const exports: ModuleExport[] = [];
  const exportSection = find(7);
  if (exportSection) {
    const r = new Reader(exportSection.payload);
    for (let n = r.u32(); n > 0; n--) {
      const name = r.name();
      const kind = kindOf(r.byte());
      exports.push({ name, kind, index: r.u32() });
    }
  }
  return {
    sections,
    imports,
    exports,
    memories,
    types: count(find(1)),
    importedFunctions: imports.filter((i) => i.kind === 'function').length,
    importedGlobals: imports.filter((i) => i.kind === 'global').length,
    definedFunctions: count(find(3)),
    definedGlobals: count(find(6)),
  };
}
