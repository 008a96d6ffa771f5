// TEST ONLY: runs the podsmith CLI in a private mount namespace (started by `unshare -m`) where the given
// executables are hidden (/dev/null bound over them), so "not installed" paths run for real.
// Usage: unshare -m --propagation private -- node --import tsx masked.ts PATH... -- PODSMITH-ARGS...
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { main } from '../../../engine/cli/main';

const sep = process.argv.indexOf('--');
const hide = process.argv.slice(2, sep);
const args = process.argv.slice(sep + 1);
for (const path of hide) {
  if (!existsSync(path)) continue;
  const r = spawnSync('mount', ['--bind', '/dev/null', path], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`masked.ts: cannot hide ${path}: ${r.stderr}`);
    process.exit(99);
  }
}
void main(args).then((code) => {
  process.exitCode = code;
});
