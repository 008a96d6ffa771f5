// Device nodes and fifos, which Node cannot create: coreutils `mknod`, spawned with an argument array.
import { spawn } from 'node:child_process';

function runMknod(args: string[]): Promise<{ ok: boolean; err: string }> {
  return new Promise((resolve) => {
    const child = spawn('mknod', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', (e) => resolve({ ok: false, err: e.message }));
    child.on('close', (code) => resolve({ ok: code === 0, err: err.trim() }));
  });
}

/**
 * Creates the overlayfs whiteout (a char device 0/0) at `path`; false when we may not (not root). One is made
 * per layer and hardlinked to every whiteout position: overlayfs recognises whiteouts by type and device
 * number, and itself shares one whiteout inode by hardlinks, so this needs one spawn instead of one per name.
 */
export async function makeWhiteoutDevice(path: string): Promise<boolean> {
  return (await runMknod(['-m', '0000', path, 'c', '0', '0'])).ok;
}

export async function makeSpecialFile(path: string, type: 'character-device' | 'block-device' | 'fifo', major: number, minor: number, mode: number): Promise<void> {
  const m = (mode & 0o7777).toString(8).padStart(4, '0');
  const args = type === 'fifo' ? ['-m', m, path, 'p'] : ['-m', m, path, type === 'block-device' ? 'b' : 'c', String(major), String(minor)];
  const r = await runMknod(args);
  if (!r.ok) throw new Error(`mknod ${path} failed: ${r.err}`);
}
