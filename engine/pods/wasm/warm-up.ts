// What a spare supervisor does while it waits for its pod: it runs once the code paths a pod's start takes.
// A new process compiles each JavaScript function on its first call and loads parts of Node on first use
// (fs.watch, the wasm compiler's pipeline), which otherwise adds milliseconds to every step of the start.
// Everything happens in a scratch directory in the sandbox's /tmp (a tmpfs that ends with the sandbox),
// removed at the end.
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LogRotator } from '../../logs';
import { CriLogWriter } from './log-writer';
import { readJsonSync, writeJsonSync } from './records';
import { wasmApi } from './wasm-api';

/** (module (memory (export "memory") 1) (func (export "_start"))) */
const TINY = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x13, 0x02, 0x06, 0x6d, 0x65,
  0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x06, 0x5f, 0x73, 0x74, 0x61, 0x72, 0x74, 0x00, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
]);

export async function warmUp(dir: string): Promise<void> {
  try {
    const file = join(dir, 'status.json');
    const log = join(dir, 'logs', '0.log');
    const writer = new CriLogWriter(log);
    const rotator = await new LogRotator(log, () => ({ request: () => writer.reopen(), close: () => undefined })).start();
    writer.write('stdout', Buffer.from('warm\n'));
    writeJsonSync(file, { warm: true, at: new Date().toISOString() });
    readJsonSync(file);
    const bytes = await readFile(file);
    createHash('sha256').update(bytes).digest('hex');
    await wasmApi.compile(TINY);
    writer.close();
    await rotator.stop();
  } catch {
    // Only a head start: the pod's own start does the same and reports what fails.
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
