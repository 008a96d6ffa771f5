// The built CLI's entry, dist/podsmith.js (package.json `bin`). It is kept tiny, and picks the bundle a command
// needs: the pod commands, which only talk to the daemon, load dist/podsmith-pods.js (the daemon client, no
// engine); every other command loads dist/podsmith-engine.js (main.ts and the whole engine, the daemon too).
// A Node process compiles every byte of the script it loads, used or not, and the CLI runs twice per pod; the
// bundle is loaded through the V8 code cache (compile-cache.ts). From the sources, main.ts is the entry.
import { join } from 'node:path';
import { version } from '../../package.json';
import { loadBundle } from './compile-cache';
import type { Io } from './io';
import { POD_COMMAND_NAMES } from './pod-command-names';

type Entry = { main(argv: string[], io?: Io): Promise<number> };

const argv = process.argv.slice(2);
if (argv[0] === 'version' || argv[0] === '--version') {
  process.stdout.write(version + '\n');
} else {
  // A remote host (--host, PODSMITH_HOST) needs the SSH client, which only the engine's bundle carries.
  const remote = !!process.env.PODSMITH_HOST || argv.some((a) => a === '--host' || a.startsWith('--host='));
  const pods = !remote && (POD_COMMAND_NAMES as readonly string[]).includes(argv[0]);
  const bundle = loadBundle(join(__dirname, pods ? 'podsmith-pods.js' : 'podsmith-engine.js'));
  // At exit, so the cache holds the bytecode of what the command ran too (some commands end with process.exit).
  process.once('exit', () => bundle.save());
  (bundle.exports as Entry).main(argv).then((code) => {
    process.exitCode = code;
  });
}
