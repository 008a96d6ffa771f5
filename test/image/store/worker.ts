// A second process for the concurrency tests (`node --import tsx worker.ts COMMAND HOME ...`). It talks on
// stdout in lines (`ready`, JSON results) and waits for `go` on stdin where a test needs to interleave.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { openStore } from '../../../engine/image/store';
import { pullImage } from '../../../engine/image/pull';
import { unpackImage } from '../../../engine/image/unpack';

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function waitFor(word: string): Promise<void> {
  for (;;) {
    const r = await lines.next();
    if (r.done) throw new Error(`stdin closed before "${word}"`);
    if (r.value.trim() === word) return;
  }
}
const say = (s: string): void => void process.stdout.write(s + '\n');

async function main(): Promise<void> {
  const [cmd, home, ...args] = process.argv.slice(2);
  const store = await openStore(home);
  switch (cmd) {
    // write DIGEST FILE CHUNK: writes the file's bytes as that blob, a chunk at a time; after the first chunk it
    // says `wrote` and waits for "go" (so the test can start a second writer while this one holds the lock).
    case 'write': {
      const [digest, path, chunk] = args;
      const data = readFileSync(path);
      const w = await store.blobs.writer(digest, data.length);
      say(JSON.stringify({ started: true, offset: w.offset }));
      for (let off = w.offset; off < data.length; off += Number(chunk)) {
        await w.write(data.subarray(off, off + Number(chunk)));
        if (off === 0) {
          say('wrote');
          await waitFor('go');
        }
      }
      await w.commit();
      say(JSON.stringify({ done: true, offset: w.offset }));
      break;
    }
    // ingest BLOBS_JSON NAME: writes each [digest, path] (the last one is the manifest), pausing half-way through
    // the largest blob until "go"; then tags the image. Like a pull without a lease.
    case 'ingest': {
      const [list, name] = args;
      const blobs = JSON.parse(readFileSync(list, 'utf8')) as Array<[string, string]>;
      const largest = blobs.reduce((a, b) => (readFileSync(b[1]).length > readFileSync(a[1]).length ? b : a))[0];
      for (const [digest, path] of blobs) {
        const data = readFileSync(path);
        const w = await store.blobs.writer(digest, data.length);
        if (digest === largest) {
          const half = Math.floor(data.length / 2);
          await w.write(data.subarray(0, half));
          say('half');
          await waitFor('go');
          await w.write(data.subarray(half));
        } else {
          await w.write(data);
        }
        await w.commit();
      }
      say('committed');
      await waitFor('go');
      await store.tagImage(name, blobs[blobs.length - 1][0]);
      say('tagged');
      break;
    }
    // lease: holds the store lease (as a pull does) until "go".
    case 'lease': {
      await store.withLease(async () => {
        say('leased');
        await waitFor('go');
        say('releasing');
      });
      break;
    }
    // pull REFERENCE INSECURE_HOST: pulls through the real registry client (which holds the store lease).
    case 'pull': {
      const r = await pullImage(args[0], { store, env: { HOME: home, PODSMITH_HOME: home }, insecure: [args[1]] });
      say(JSON.stringify({ digest: r.digest, downloaded: r.downloadedBytes }));
      break;
    }
    // unpack DIGEST: unpacks the image, reports which layers were cached.
    case 'unpack': {
      const r = await unpackImage(store, args[0]);
      say(JSON.stringify(r.layers.map((l) => l.cached)));
      break;
    }
    default:
      throw new Error(`unknown command ${cmd}`);
  }
  lines.return?.();
  process.stdin.destroy();
}

main().catch((err) => {
  process.stderr.write(String((err as Error).stack ?? err) + '\n');
  process.exit(1);
});
