// What of an engine home outlived a test run: its pods, its daemon, any process started with that
// PODSMITH_HOME. Each is removed (pods deleted, daemon stopped, processes killed) and named in the result, so
// the run can fail on it. Uses the CLI from a dist/ folder (the repository's, or an installed extension's).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** The leftovers of `home`, now removed; [] when nothing was left. The home itself is deleted. */
export function engineLeftovers(home, dist) {
  const cli = (args) => spawnSync(process.execPath, [join(dist, 'podsmith.js'), ...args], { env: { ...process.env, PODSMITH_HOME: home }, encoding: 'utf8', timeout: 60_000 });
  const left = [];
  if (cli(['daemon', 'status']).status === 0) {
    const pods = JSON.parse(cli(['ps', '-a', '-o', 'json']).stdout || '{"items":[]}').items.map((p) => p.metadata.name);
    if (pods.length) left.push(`pods: ${pods.join(', ')}`);
    for (const p of pods) cli(['rm', '-f', p]);
    left.push('the daemon');
    cli(['daemon', 'stop']);
  }
  const needle = `PODSMITH_HOME=${home}\0`;
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'latin1').includes(needle)) continue;
      left.push(`process ${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim()}`);
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone, or not ours
    }
  }
  rmSync(home, { recursive: true, force: true });
  return left;
}
