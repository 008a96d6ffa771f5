// The guest image: Debian's kernel as an ELF vmlinux with the guest's modules in dependency order, and the
// initramfs and tools image Podsmith builds, each byte-reproducible (two builds from the same inputs are the
// same file, so the content hash names them). Needs the kernel package (fetched into the cache once).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCpio } from '../../engine/pods/microvm/guest/cpio';
import { moduleInfo } from '../../engine/pods/microvm/guest/elf-modinfo';
import { ensureInitramfs } from '../../engine/pods/microvm/guest/initramfs';
import { ensureKernel, GUEST_MODULES, type GuestKernel } from '../../engine/pods/microvm/guest/kernel';
import { buildToolsImage, toolsInput } from '../../engine/pods/microvm/guest/tools-image';
import { whyNoMicrovm } from './support';

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('initramfs archive (cpio newc)', () => {
  it('is the same bytes for the same entries, with root owners and time 0', () => {
    const entries = [
      { type: 'dir' as const, path: 'bin' },
      { type: 'file' as const, path: 'bin/x', data: Buffer.from('hello'), mode: 0o755 },
      { type: 'symlink' as const, path: 'bin/y', target: 'x' },
    ];
    const a = writeCpio(entries);
    assert.deepEqual(a, writeCpio(entries));
    const text = a.toString('latin1');
    assert.ok(text.startsWith('070701'));
    // Header of bin/x: mode 0100755, uid 0, gid 0, nlink 1, mtime 0, size 5.
    const at = text.indexOf('bin/x') - 110;
    assert.equal(text.slice(at + 14, at + 62), '000081ED' + '00000000' + '00000000' + '00000001' + '00000000' + '00000005');
    assert.ok(text.includes('TRAILER!!!'));
  });

  it('refuses paths that leave the archive, come twice or before their directory', () => {
    assert.throws(() => writeCpio([{ type: 'file', path: '../etc/passwd', data: Buffer.alloc(0) }]), /bad initramfs path/);
    assert.throws(() => writeCpio([{ type: 'file', path: 'a/b', data: Buffer.alloc(0) }]), /before its directory/);
    assert.throws(() => writeCpio([{ type: 'dir', path: 'a' }, { type: 'dir', path: 'a' }]), /twice/);
  });
});

describe('guest image', { skip: whyNoMicrovm() }, () => {
  let kernel: GuestKernel;
  const dirs: string[] = [];
  const temp = () => {
    const d = mkdtempSync(join(tmpdir(), 'podsmith-guest-'));
    dirs.push(d);
    return d;
  };

  before(async () => {
    kernel = await ensureKernel({ fetch: true });
  });
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('the kernel is an ELF vmlinux (PVH boot) with the guest modules, each after its dependencies', async () => {
    const head = readFileSync(kernel.vmlinux).subarray(0, 4);
    assert.equal(head.toString('hex'), '7f454c46');
    const order = kernel.modules.map((m) => m.name);
    for (const m of GUEST_MODULES) assert.ok(order.includes(m.replace(/-/g, '_')), `${m} in ${order.join(' ')}`);
    for (const [i, m] of kernel.modules.entries()) {
      const deps = ((await moduleInfo(m.path)).depends ?? '').split(',').filter(Boolean);
      for (const d of deps) assert.ok(order.indexOf(d.replace(/-/g, '_')) < i, `${d} loads before ${m.name}`);
    }
    assert.match(kernel.release, /^6\.1\.0-\d+-amd64$/);
  });

  it('two builds of the initramfs give the same bytes, named by their hash', async () => {
    const [a, b] = [await ensureInitramfs(kernel, temp()), await ensureInitramfs(kernel, temp())];
    assert.equal(a.sha256, b.sha256);
    assert.equal(sha(a.path), a.sha256);
    assert.equal(sha(b.path), a.sha256);
    assert.ok(a.path.endsWith(`${a.sha256}.cpio`));
  });

  it('two builds of the tools image give the same bytes', async () => {
    const input = await toolsInput();
    for (const p of ['usr/bin/node', 'usr/sbin/runc', 'usr/bin/catatonit', 'node_modules/koffi/index.js']) assert.ok(input.files.has(p), p);
    assert.ok([...input.files.keys()].some((p) => /libc\.so\.6$/.test(p)), 'libc is in the image');
    const dir = temp();
    await buildToolsImage(input, join(dir, 'a.squashfs'));
    await buildToolsImage(input, join(dir, 'b.squashfs'));
    assert.equal(sha(join(dir, 'a.squashfs')), sha(join(dir, 'b.squashfs')));
  });
});
