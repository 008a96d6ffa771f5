// Child process for the "abort leaves nothing open" test: follows a log, aborts, and must then exit on its own
// (a leaked watcher, timer or pending read would keep it alive). Run: node --import tsx follow-abort.ts DIR MODE
//   MODE reading: abort while the consumer is reading; paused: abort while the consumer has stopped reading;
//   waiting: abort while the follower waits for a log that never appears.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLog } from '../../../engine/logs/index';
import { formatCriRecord, formatCriTime } from '../../../engine/logs/cri-format';

const [dir, mode] = process.argv.slice(2);

async function main(): Promise<void> {
  const path = join(dir, mode === 'waiting' ? 'never.log' : `${mode}.log`);
  if (mode !== 'waiting') {
    let s = '';
    for (let i = 0; i < 200_000; i++) s += formatCriRecord(formatCriTime(Date.now()), 'stdout', false, `line ${i}`);
    writeFileSync(path, s);
  }
  const controller = new AbortController();
  // The follower asks isDone when it has found nothing new, just before it waits: in `waiting` mode the abort
  // comes right after the first ask, so it lands in the wait.
  const isDone = (): boolean => {
    if (mode === 'waiting') setImmediate(() => controller.abort());
    return false;
  };
  const stream = await openLog(path, { follow: true, output: 'entries', pollMs: 50, isDone }, controller.signal);
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  if (mode === 'paused') {
    // Read a little, then stop: the buffer fills and the source is left suspended. A stream has no event for
    // "buffer full", so this polls that condition (each turn of the event loop, bounded).
    await new Promise<void>((resolve) => stream.once('readable', () => resolve()));
    stream.read();
    const deadline = Date.now() + 20_000;
    while (stream.readableLength < stream.readableHighWaterMark) {
      if (Date.now() > deadline) throw new Error('the stream buffer never filled');
      await new Promise((r) => setImmediate(r));
    }
    controller.abort();
    stream.resume(); // drains what was buffered, then ends
  } else if (mode === 'reading') {
    let n = 0;
    stream.on('data', () => {
      if (++n === 1000) controller.abort();
    });
  } else {
    stream.resume();
  }
  await closed;
  process.stdout.write(`closed ${mode}\n`);
}

void main();
