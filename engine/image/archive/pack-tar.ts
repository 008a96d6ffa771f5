// Packs files into an uncompressed tar layer, in the order given, owned by root (unless an entry names an
// owner) with a fixed timestamp, so the same files always give the same bytes (and the same digest).
import * as tar from 'tar-stream';

export interface TarEntry {
  path: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  data?: string | Buffer;
  mode?: number;
  /** Symlink or hardlink target. */
  target?: string;
  /** Owner (default root). */
  uid?: number;
  gid?: number;
}

export const FIXED_MTIME = new Date('2024-01-01T00:00:00Z');

export function packTar(entries: TarEntry[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const pack = tar.pack();
    const chunks: Buffer[] = [];
    pack.on('data', (c: unknown) => void chunks.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
    const base = { mtime: FIXED_MTIME, uid: 0, gid: 0, uname: 'root', gname: 'root' };
    for (const e of entries) {
      const type = e.type ?? 'file';
      const owner = e.uid !== undefined || e.gid !== undefined ? { uid: e.uid ?? 0, gid: e.gid ?? 0, uname: '', gname: '' } : {};
      if (type === 'file') {
        const data = Buffer.from(e.data ?? '');
        pack.entry({ ...base, ...owner, name: e.path, type, mode: e.mode ?? 0o644, size: data.length }, data);
      } else if (type === 'directory') {
        pack.entry({ ...base, ...owner, name: e.path, type, mode: e.mode ?? 0o755 });
      } else {
        pack.entry({ ...base, ...owner, name: e.path, type, mode: e.mode ?? 0o777, linkname: e.target });
      }
    }
    pack.finalize();
  });
}
