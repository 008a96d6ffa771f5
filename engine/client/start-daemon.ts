// Starting the daemon on demand: `node <podsmith entry> daemon --idle-exit D`, detached into its own session
// with stdout and stderr appended to daemon.log, so it outlives the command that started it. Started this way
// it leaves after D with no client and no running pod ($PODSMITH_DAEMON_IDLE, default 5m; 0 or never: stays).
// A user who is not root gets a daemon inside their user namespace (engine/rootless/namespace.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from '../home';
import type { DaemonPaths } from '../daemon/paths';
import { launchInside, needsNamespace } from '../rootless/namespace';

export interface DaemonCommand {
  command: string;
  /** spawnDaemon appends `--idle-exit DURATION` to these. */
  args: string[];
  /** Working directory; default `/` so a long-lived process pins no directory. */
  cwd?: string;
}

/**
 * The podsmith entry next to this code: from source, engine/cli/main.ts through the tsx loader (resolved from
 * the repository, hence its cwd); from a bundle, dist/podsmith.js, which sits beside every bundle (the
 * extension's dist/client.js too).
 */
export function defaultDaemonCommand(): DaemonCommand {
  const cmd = podsmithCommand();
  return { ...cmd, args: [...cmd.args, 'daemon'] };
}

/** `podsmith` itself (the same entry, from sources or the bundle), for a command run again elsewhere. */
export function podsmithCommand(): DaemonCommand {
  if (__filename.endsWith('.ts')) {
    const repo = join(__dirname, '..', '..');
    return { command: process.execPath, args: ['--import', 'tsx', join(repo, 'engine', 'cli', 'main.ts')], cwd: repo };
  }
  return { command: process.execPath, args: [join(__dirname, 'podsmith.js')] };
}

/** How long an on-demand daemon waits with nothing to do before it leaves. */
export const DEFAULT_DAEMON_IDLE = '5m';

export function spawnDaemon(paths: DaemonPaths, cmd: DaemonCommand, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  ensurePrivateDir(paths.home);
  const out = openSync(paths.log, 'a', 0o600);
  try {
    // The daemon checks the value (a bad one fails its start, and the client shows why from daemon.log).
    const idle = env.PODSMITH_DAEMON_IDLE?.trim() || DEFAULT_DAEMON_IDLE;
    const argv = [cmd.command, ...cmd.args, '--idle-exit', idle];
    // A plain user's daemon runs in the user's namespace (engine/rootless): joined, or made for it.
    const inside = needsNamespace() ? launchInside(paths.home, argv, cmd.cwd ?? '/') : undefined;
    try {
      const child = spawn(inside?.file ?? argv[0], inside?.args ?? argv.slice(1), {
        detached: true,
        stdio: ['ignore', out, out, ...(inside?.fds ?? [])],
        cwd: cmd.cwd ?? '/',
        env: { ...env, PODSMITH_HOME: paths.home },
      });
      child.unref();
      return child;
    } finally {
      inside?.close();
    }
  } finally {
    closeSync(out);
  }
}
