// A reproducible initramfs archive: the kernel's "newc" cpio format, written from a list of entries with
// fixed owners (root), fixed times (0) and inode numbers in entry order, so the same inputs always give the
// same bytes (and the same content hash). Directories must come before what they hold.

export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Buffer; mode?: number }
  | { type: 'symlink'; path: string; target: string };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

function pad4(n: number): Buffer {
  return Buffer.alloc((4 - (n % 4)) % 4);
}

function header(ino: number, mode: number, nlink: number, size: number, nameSize: number): Buffer {
  const fields = [ino, mode, 0, 0, nlink, 0, size, 0, 0, 0, 0, nameSize, 0];
  return Buffer.from('070701' + fields.map((f) => f.toString(16).toUpperCase().padStart(8, '0')).join(''), 'latin1');
}

function record(ino: number, path: string, mode: number, nlink: number, data: Buffer): Buffer[] {
  const name = Buffer.from(path + '\0', 'utf8');
  const h = header(ino, mode, nlink, data.length, name.length);
  return [h, name, pad4(h.length + name.length), data, pad4(data.length)];
}

export function writeCpio(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  const seen = new Set<string>();
  let ino = 1;
  for (const e of entries) {
    const path = e.path.replace(/^\/+/, '');
    if (!path || path.split('/').some((p) => p === '..' || p === '.' || p === '')) throw new Error(`bad initramfs path ${JSON.stringify(e.path)}`);
    if (seen.has(path)) throw new Error(`initramfs path ${path} given twice`);
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '';
    if (parent && !seen.has(parent)) throw new Error(`initramfs path ${path} comes before its directory ${parent}`);
    seen.add(path);
    if (e.type === 'dir') parts.push(...record(ino++, path, S_IFDIR | (e.mode ?? 0o755), 2, Buffer.alloc(0)));
    else if (e.type === 'file') parts.push(...record(ino++, path, S_IFREG | (e.mode ?? 0o644), 1, e.data));
    else parts.push(...record(ino++, path, S_IFLNK | 0o777, 1, Buffer.from(e.target, 'utf8')));
  }
  parts.push(...record(0, 'TRAILER!!!', 0, 1, Buffer.alloc(0)));
  return Buffer.concat(parts);
}
