// The `depends=` of a kernel module, read from its `.modinfo` ELF section: the guest kernel's modules come
// from a package whose modules.dep is made at install time (depmod), which never ran here, and kmod's modinfo
// is not always installed. 64-bit little-endian ELF only (the x86-64 modules this runtime loads).
import { readFile } from 'node:fs/promises';

export async function moduleInfo(path: string): Promise<Record<string, string>> {
  const b = await readFile(path);
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) throw new Error(`${path} is not a 64-bit little-endian ELF file`);
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  const shstrndx = b.readUInt16LE(0x3e);
  const section = (i: number) => {
    const o = shoff + i * shentsize;
    return { name: b.readUInt32LE(o), offset: Number(b.readBigUInt64LE(o + 0x18)), size: Number(b.readBigUInt64LE(o + 0x20)) };
  };
  const names = section(shstrndx);
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    const start = names.offset + s.name;
    if (b.toString('latin1', start, b.indexOf(0, start)) !== '.modinfo') continue;
    const out: Record<string, string> = {};
    for (const entry of b.toString('utf8', s.offset, s.offset + s.size).split('\0')) {
      const eq = entry.indexOf('=');
      // Keys repeat (alias=, parm=); the ones read here (depends, name, vermagic) appear once.
      if (eq > 0 && !(entry.slice(0, eq) in out)) out[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return out;
  }
  throw new Error(`${path} has no .modinfo section`);
}

export function moduleName(file: string): string {
  return file.replace(/\.ko$/, '').replace(/-/g, '_');
}

/**
 * The modules to load, dependencies first, for the wanted ones. `index` maps a module name (dashes as
 * underscores) to its file.
 */
export async function moduleLoadOrder(index: Map<string, string>, wanted: string[]): Promise<{ name: string; path: string }[]> {
  const order: { name: string; path: string }[] = [];
  const visiting = new Set<string>();
  const add = async (raw: string): Promise<void> => {
    const name = moduleName(raw);
    if (order.some((m) => m.name === name)) return;
    if (visiting.has(name)) throw new Error(`kernel module dependency cycle at ${name}`);
    const path = index.get(name);
    if (!path) throw new Error(`kernel module ${name} is not in the kernel package`);
    visiting.add(name);
    const deps = (await moduleInfo(path)).depends ?? '';
    for (const d of deps.split(',').filter(Boolean)) await add(d);
    visiting.delete(name);
    order.push({ name, path });
  };
  for (const w of wanted) await add(w);
  return order;
}
