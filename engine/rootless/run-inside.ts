// Running a command in the foreground inside the home's user namespace (namespace.ts), for `podsmith daemon`
// started by hand by a plain user and for `podsmith unshare`: the terminal stays the command's, signals
// that end a foreground program are passed on, and its exit status becomes ours.
import { spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { launchInside } from './namespace';

const RELAYED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

export function runInside(home: string, argv: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<number> {
  const inside = launchInside(home, argv, cwd ?? process.cwd());
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(inside.file, inside.args, { stdio: ['inherit', 'inherit', 'inherit', ...inside.fds], env, ...(cwd ? { cwd } : {}) });
    } finally {
      inside.close();
    }
    const relay = (sig: NodeJS.Signals) => child.kill(sig);
    for (const s of RELAYED) process.on(s, relay);
    const done = () => {
      for (const s of RELAYED) process.off(s, relay);
    };
    child.once('error', (err) => {
      done();
      reject(err);
    });
    child.once('exit', (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 1) : 1));
    });
  });
}

/** Why this user cannot make a user namespace (unshare's own words), or undefined when they can. */
export function userNamespaceProblem(): string | undefined {
  const r = spawnSync('unshare', ['--user', '--map-root-user', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return r.error.message;
  return r.status === 0 ? undefined : r.stderr.trim() || `unshare exited with ${r.status}`;
}
