// `podsmith images`, `rmi`, `prune`, `load`: output and exit codes (0 ok, 1 failed, 2 usage).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imagesCommand } from '../../../engine/cli/commands/images';
import { loadCommand } from '../../../engine/cli/commands/load';
import { pruneCommand } from '../../../engine/cli/commands/prune';
import { rmiCommand } from '../../../engine/cli/commands/rmi';
import type { Io } from '../../../engine/cli/io';
import { openStore } from '../../../engine/image/store';
import { createTestImages, type TestImages } from '../../support/images';

type Command = (argv: string[], io: Io, env?: NodeJS.ProcessEnv) => Promise<number>;

let root: string;
let env: NodeJS.ProcessEnv;
let images: TestImages;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'podsmith-store-cli-'));
  env = { PODSMITH_HOME: join(root, 'home') };
  images = await createTestImages();
});
after(() => {
  images.dispose();
  rmSync(root, { recursive: true, force: true });
});

async function run(cmd: Command, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await cmd(args, { out: (s) => void (out += s), err: (s) => void (err += s) }, env);
  return { code, out, err };
}

describe('image store commands', () => {
  it('load names images and reports them', async () => {
    const bb = await images.busybox();
    const r = await run(loadCommand, ['-i', bb.layout, '--name', 'busybox:cli']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Loaded image: docker.io/library/busybox:cli\n');
    assert.match(r.err, /warning: name not used: latest/);
    const ml = await images.multiLayer();
    assert.equal((await run(loadCommand, ['-i', ml.layout, '--name', 'localhost:5000/team/multi:v2'])).code, 0);
  });

  it('images lists a table and JSON', async () => {
    const r = await run(imagesCommand, []);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n');
    assert.match(lines[0], /^REPOSITORY\s+TAG\s+DIGEST\s+SIZE\s+CREATED$/);
    assert.match(lines[1], /^busybox\s+cli\s+[0-9a-f]{12}\s+\d[\d.]*[kM]B\s+\d+ (year|month)s? ago$/);
    assert.match(lines[2], /^localhost:5000\/team\/multi\s+v2\s+[0-9a-f]{12}\s/);
    const json = JSON.parse((await run(imagesCommand, ['-o', 'json'])).out) as Array<{ name: string; repository: string; tag: string; size: number; created: string }>;
    assert.deepEqual(json.map((i) => [i.repository, i.tag]), [
      ['busybox', 'cli'],
      ['localhost:5000/team/multi', 'v2'],
    ]);
    assert.ok(json[0].size > 500_000);
    assert.equal(json[0].created, '2024-01-01T00:00:00.000Z');
  });

  it('rmi removes names, by name or digest prefix, and fails on unknown ones', async () => {
    const json = JSON.parse((await run(imagesCommand, ['-o', 'json'])).out) as Array<{ name: string; digest: string }>;
    const multi = json.find((i) => i.name.includes('multi'))!;
    const r = await run(rmiCommand, [multi.digest.slice(7, 19), 'nope:1']);
    assert.equal(r.code, 1);
    assert.equal(r.out, 'Untagged: localhost:5000/team/multi:v2\n');
    assert.match(r.err, /no such image: nope:1/);
    const r2 = await run(rmiCommand, ['busybox:cli']);
    assert.equal(r2.code, 0);
    assert.equal((await run(imagesCommand, ['-o', 'json'])).out.trim(), '[]');
  });

  it('prune frees what no name needs (after the grace period)', async () => {
    const kept = await run(pruneCommand, []);
    assert.equal(kept.code, 0, kept.err);
    assert.match(kept.out, /^Removed 0 blobs, 0 unpacked layers and 0 partial downloads; freed 0B\nKept \d+ unreferenced items younger than the grace period/);
    const r = await run(pruneCommand, ['--grace', '0']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Removed \d+ blobs, 0 unpacked layers and 0 partial downloads; freed [\d.]+MB\n$/);
    const store = await openStore(env.PODSMITH_HOME!);
    assert.deepEqual(await store.blobs.list(), []);
  });

  it('usage errors exit 2, failures exit 1', async () => {
    assert.equal((await run(imagesCommand, ['-o', 'yaml'])).code, 2);
    assert.equal((await run(rmiCommand, [])).code, 2);
    assert.equal((await run(pruneCommand, ['--grace', 'soon'])).code, 2);
    assert.equal((await run(loadCommand, [])).code, 2);
    const missing = await run(loadCommand, ['-i', join(root, 'absent.tar')]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no such file or directory/);
    assert.equal(existsSync(join(root, 'absent.tar')), false);
    assert.equal((await run(imagesCommand, ['--help'])).code, 0);
  });
});
