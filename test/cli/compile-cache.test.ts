// The CLI's V8 code cache (engine/cli/compile-cache.ts): used only for exactly the file it was made from, and a
// damaged, foreign or planted cache file, or a cache directory that cannot be written, never changes what runs.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32 } from 'node:zlib';
import { compileCacheDir, loadBundle } from '../../engine/cli/compile-cache';

const NOBODY = 65534;

/** A bundle-like CommonJS file: enough functions for V8 to have real bytecode to cache. */
function bundleSource(answer: string): string {
  const fns = Array.from({ length: 200 }, (_, i) => `function f${i}(x) { return x + ${i}; }`).join('\n');
  return `${fns}\nexports.answer = () => ${JSON.stringify(answer)} + f1(0);\nexports.dir = __dirname;\nexports.req = typeof require('node:path').join;\n`;
}

let root: string;
let env: NodeJS.ProcessEnv;
let bundle: string;
let cacheDir: string;

function load() {
  return loadBundle(bundle, env) as ReturnType<typeof loadBundle> & { exports: { answer(): string; dir: string; req: string } };
}

/** loadBundle in a new Node process (no compiled code to reuse): how it loaded, and what the bundle answers. */
function loadInChild(): { cache: string; answer: string; status: number | null } {
  const script = `const { loadBundle } = require(${JSON.stringify(join(__dirname, '../../engine/cli/compile-cache.ts'))});
    const b = loadBundle(${JSON.stringify(bundle)}, ${JSON.stringify(env)});
    process.stdout.write(JSON.stringify({ cache: b.cache, answer: b.exports.answer() }));`;
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, '-e', script], { encoding: 'utf8' });
  assert.equal(r.stderr, '');
  return { ...(JSON.parse(r.stdout || '{}') as { cache: string; answer: string }), status: r.status };
}

function cacheFiles(): string[] {
  return existsSync(cacheDir) ? readdirSync(cacheDir).map((f) => join(cacheDir, f)) : [];
}

/** Loads (a miss), saves, and returns the one cache file written. */
function primed(): string {
  const first = load();
  assert.equal(first.cache, 'miss');
  first.save();
  const files = cacheFiles();
  assert.equal(files.length, 1, `one cache file: ${files}`);
  return files[0];
}

describe('compile cache', () => {
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'podsmith-ccache-'));
    env = { XDG_CACHE_HOME: join(root, 'cache'), HOME: root };
    cacheDir = compileCacheDir(env.XDG_CACHE_HOME!);
    mkdirSync(join(root, 'dist'));
    bundle = join(root, 'dist', 'podsmith-pods.js');
    writeFileSync(bundle, bundleSource('A'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('compiles from the text once, then loads the bytecode it saved, with the same module', () => {
    const file = primed();
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(cacheDir).mode & 0o777, 0o700);
    const again = load();
    assert.equal(again.cache, 'hit');
    assert.equal(again.exports.answer(), 'A1');
    assert.equal(again.exports.dir, join(root, 'dist'));
    assert.equal(again.exports.req, 'function');
    // A hit writes nothing.
    const before = statSync(file).mtimeMs;
    again.save();
    assert.equal(statSync(file).mtimeMs, before);
  });

  it('never uses bytecode made from another text of the same length (V8 checks only the length)', () => {
    primed();
    writeFileSync(bundle, bundleSource('B'));
    assert.equal(readFileSync(bundle).length, bundleSource('A').length);
    const changed = load();
    assert.equal(changed.cache, 'miss');
    assert.equal(changed.exports.answer(), 'B1');
    changed.save();
    assert.equal(load().cache, 'hit');
  });

  it('ignores a truncated, damaged or garbage cache file, and replaces it', () => {
    const file = primed();
    const good = readFileSync(file);
    const damaged = Buffer.from(good);
    damaged[damaged.length - 100] ^= 0xff;
    // Same header and CRC as the good file, other bytecode: V8 itself must refuse it.
    const garbage = Buffer.concat([good.subarray(0, good.length - 4000), Buffer.alloc(4000, 0x41)]);
    for (const [what, bytes] of [
      ['truncated', good.subarray(0, good.length - 1)],
      ['header only', good.subarray(0, 40)],
      ['empty', Buffer.alloc(0)],
      ['damaged', damaged],
      ['garbage bytecode', garbage],
      ['random', Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) & 0xff))],
    ] as const) {
      writeFileSync(file, bytes, { mode: 0o600 });
      const r = load();
      assert.equal(r.cache, 'miss', what);
      assert.equal(r.exports.answer(), 'A1', what);
      r.save();
      assert.equal(load().cache, 'hit', `${what}: rewritten`);
    }
  });

  // V8 keeps what it compiled per process, and would answer from that instead of the cache file: these load in
  // a new process each time, as the CLI does.
  it('loads in a new process from the file alone; a damaged file would crash V8 there, and is refused first', () => {
    primed();
    assert.deepEqual(loadInChild(), { cache: 'hit', answer: 'A1', status: 0 });
    const file = cacheFiles()[0];
    const good = readFileSync(file);
    const damaged = Buffer.from(good);
    damaged[damaged.length - 200] ^= 0x5a;
    writeFileSync(file, damaged, { mode: 0o600 });
    assert.deepEqual(loadInChild(), { cache: 'miss', answer: 'A1', status: 0 });
  });

  it('leaves bytecode of another V8 (right CRC, V8 refuses it) and compiles from the text', () => {
    const file = primed();
    const good = readFileSync(file);
    // Flip a byte of V8's own header (the hash of the V8 version that made it), then fix our CRC: only V8's check
    // stands in the way.
    const keyLength = good.readUInt32BE(18);
    const dataAt = 18 + 4 + keyLength + 4;
    const data = Buffer.from(good.subarray(dataAt));
    data[4] ^= 0x01;
    const forged = Buffer.concat([good.subarray(0, dataAt), data]);
    forged.writeUInt32BE(crc32(data), dataAt - 4);
    writeFileSync(file, forged, { mode: 0o600 });
    assert.deepEqual(loadInChild(), { cache: 'miss', answer: 'A1', status: 0 });
  });

  it('does not trust a cache file or directory that someone else could have written', () => {
    const file = primed();
    const good = readFileSync(file);
    const other = join(root, 'elsewhere.v8');
    writeFileSync(other, good, { mode: 0o600 });
    const cases: [string, () => void, () => void][] = [
      ['group-writable file', () => chmodSync(file, 0o620), () => chmodSync(file, 0o600)],
      ['world-writable file', () => chmodSync(file, 0o606), () => chmodSync(file, 0o600)],
      ['file of another user', () => chownSync(file, NOBODY, NOBODY), () => chownSync(file, process.getuid!(), process.getgid!())],
      ['world-writable directory', () => chmodSync(cacheDir, 0o777), () => chmodSync(cacheDir, 0o700)],
      ['directory of another user', () => chownSync(cacheDir, NOBODY, NOBODY), () => chownSync(cacheDir, process.getuid!(), process.getgid!())],
      [
        'symlink to a good cache file',
        () => {
          rmSync(file);
          symlinkSync(other, file);
        },
        () => {
          rmSync(file);
          writeFileSync(file, good, { mode: 0o600 });
        },
      ],
    ];
    for (const [what, plant, undo] of cases) {
      if (what.includes('another user') && process.getuid?.() !== 0) continue;
      plant();
      try {
        const r = load();
        assert.equal(r.cache, 'miss', what);
        assert.equal(r.exports.answer(), 'A1', what);
      } finally {
        undo();
      }
      assert.equal(load().cache, 'hit', `${what}: undone`);
    }
  });

  it('works, uncached, when the cache directory cannot be made or written', () => {
    const cases: [string, NodeJS.ProcessEnv][] = [
      // Nothing can be made under /proc, not even by root.
      ['under /proc', { XDG_CACHE_HOME: '/proc/self/podsmith-cache' }],
      ['a file where the directory should be', { XDG_CACHE_HOME: bundle }],
      ['turned off', { XDG_CACHE_HOME: join(root, 'cache'), PODSMITH_NO_COMPILE_CACHE: '1' }],
    ];
    for (const [what, e] of cases) {
      env = { HOME: root, ...e };
      const r = load();
      assert.notEqual(r.cache, 'hit', what);
      assert.equal(r.exports.answer(), 'A1', what);
      assert.doesNotThrow(() => r.save(), what);
      assert.notEqual(load().cache, 'hit', what);
    }
    assert.deepEqual(cacheFiles(), [], 'turned off: nothing written');
  });

  it("makes no directory in a cache root that belongs to someone else (root with a user's HOME)", { skip: process.getuid?.() !== 0 && 'needs root' }, () => {
    const theirs = join(root, 'their-cache');
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, NOBODY, NOBODY);
    env = { HOME: root, XDG_CACHE_HOME: theirs };
    const r = load();
    r.save();
    assert.deepEqual(readdirSync(theirs), []);
    assert.equal(r.exports.answer(), 'A1');
  });
});
