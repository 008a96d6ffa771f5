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
  const stream = await openLog(path, { follow: true, output: 'entries', pollMs: 50 }, controller.signal);
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  if (mode === 'paused') {
    // Read a little, then stop: the buffer fills and the source is left suspended.
    await new Promise<void>((resolve) => stream.once('readable', () => resolve()));
    stream.read();
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    stream.resume(); // drains what was buffered, then ends
  } else if (mode === 'reading') {
    let n = 0;
    stream.on('data', () => {
      if (++n === 1000) controller.abort();
    });
  } else {
    stream.resume();
    setTimeout(() => controller.abort(), 300);
  }
  await closed;
  process.stdout.write(`closed ${mode}\n`);
}

void main();
