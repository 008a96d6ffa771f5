// `podsmith daemon [status|stop]`: run the engine daemon in the foreground (what the CLI starts on demand),
// show whether one runs, or stop it. Stopping the daemon never stops pods.
import { parseArgs } from 'node:util';
import { connect } from 'node:net';
import { connectDaemon } from '../../client/connect';
import { runningDaemonPid } from '../../daemon/instance-lock';
import { daemonPaths } from '../../daemon/paths';
import { DaemonError } from '../../client/daemon-client';
import { podsmithHome } from '../../home';
import { parseIdleExit } from '../../daemon/idle-exit';
import { serveDaemon } from '../../daemon/serve';
import { createDaemonRuntime, type DaemonRuntime } from '../../daemon/runtimes';
import { version } from '../../../package.json';
import { UsageError } from '../files';
import { reportError, type Io } from '../io';
import { runCommand } from '../run-command';
import { humanDuration } from '../format/duration';
import { defaultDaemonCommand } from '../../client/start-daemon';
import { needsNamespace } from '../../rootless/namespace';
import { runInside } from '../../rootless/run-inside';

export const DAEMON_USAGE = `Usage: podsmith daemon [--idle-exit DURATION] [status|stop|start [-o json]|dial-stdio]

Without a subcommand, runs the engine daemon in the foreground until SIGTERM or Ctrl-C. Other podsmith
commands start it on demand, so running it by hand is only needed to watch it. One daemon serves each
PODSMITH_HOME; it listens on $PODSMITH_HOME/run/podsmith.sock (owner only; for a user who is not root,
on $XDG_RUNTIME_DIR/podsmith/podsmith.sock when that is set, linked from run/) and logs to
$PODSMITH_HOME/daemon.log. A user who is not root gets a daemon inside their user namespace (rootless pods). Pods keep running when it stops, and a new daemon picks them up. It stops by
itself when its socket is deleted or replaced (no client could reach it any more).
  --idle-exit DURATION   stop after DURATION (30s, 5m, ...) with no client and no running pod; the default
                         is never, and a daemon started on demand uses $PODSMITH_DAEMON_IDLE (default 5m)
  status   whether a daemon runs, its pid, version and uptime (exit 1 when none runs)
  stop     stops the daemon (pods keep running)
  start    starts the daemon unless one runs, and says where it listens (-o json: pid, version, socket, home)
  dial-stdio   connects stdin and stdout to the daemon's socket (started on demand), as 'docker system
           dial-stdio' does: how a remote client reaches the daemon through an SSH command
Exit 0 on success, 1 when the daemon cannot start (another one runs) or the operation failed, 2 for usage.`;

export interface DaemonCommandDeps {
  env?: NodeJS.ProcessEnv;
  createRuntime?: (home: string) => Promise<DaemonRuntime>;
}

export function daemonCommand(argv: string[], io: Io, deps: DaemonCommandDeps = {}): Promise<number> {
  return runCommand('daemon', DAEMON_USAGE, io, async () => {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { help: { type: 'boolean', short: 'h' }, 'idle-exit': { type: 'string' }, output: { type: 'string', short: 'o' } },
    });
    if (values.help) {
      io.out(DAEMON_USAGE + '\n');
      return 0;
    }
    const home = podsmithHome(deps.env ?? process.env);
    const [sub, ...rest] = positionals;
    if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
    if (sub === undefined) {
      let idleExitMs: number | undefined;
      try {
        idleExitMs = parseIdleExit(values['idle-exit']);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      return serve(home, io, deps, idleExitMs, values['idle-exit'] !== undefined ? ['--idle-exit', values['idle-exit']] : []);
    }
    if (values.output !== undefined && (sub !== 'start' || values.output !== 'json')) throw new UsageError('-o json goes with start only');
    if (sub === 'status') return status(home, io);
    if (sub === 'stop') return stop(home, io);
    if (sub === 'start') return start(home, io, values.output === 'json');
    if (sub === 'dial-stdio') return dialStdio(home);
    throw new UsageError(`unknown subcommand "${sub}"; use status, stop, start or dial-stdio`);
  });
}

async function serve(home: string, io: Io, deps: DaemonCommandDeps, idleExitMs: number | undefined, argv: string[]): Promise<number> {
  // A plain user's daemon runs inside the user's namespace: this process starts it there and waits.
  if (!deps.createRuntime && needsNamespace()) {
    const { command, args, cwd } = defaultDaemonCommand();
    return runInside(home, [command, ...args, ...argv], { ...(deps.env ?? process.env), PODSMITH_HOME: home }, cwd);
  }
  const createRuntime = deps.createRuntime ?? createDaemonRuntime;
  let code: number;
  try {
    code = await serveDaemon({ home, createRuntime, version, idleExitMs, report: (line) => io.err(line + '\n') });
  } catch (err) {
    // One plain line: a client that started this daemon shows the end of daemon.log as the reason.
    reportError(io, `podsmith daemon: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  // Runtime timers (probes, restart back-off) must not keep a stopped daemon alive; pods live on without it.
  process.exit(code);
}

async function status(home: string, io: Io): Promise<number> {
  try {
    const client = await connectDaemon({ home, autoStart: false, clientName: `podsmith-cli ${version}` });
    const info = client.info!;
    const pods = await client.listPods();
    client.close();
    const up = humanDuration(Date.now() - Date.parse(info.startedAt));
    io.out(`podsmith daemon ${info.version} running: pid ${info.pid}, up ${up}, ${pods.length} pod${pods.length === 1 ? '' : 's'}, home ${info.home}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof DaemonError)) throw err;
    io.out(`${err.message}\n`);
    return 1;
  }
}

/** Ensures a daemon runs; prints where (a remote client's bootstrap reads the JSON). */
async function start(home: string, io: Io, json: boolean): Promise<number> {
  const before = runningDaemonPid(daemonPaths(home));
  const client = await connectDaemon({ home, clientName: `podsmith-cli ${version}` });
  const info = client.info!;
  client.close();
  const paths = daemonPaths(info.home);
  if (json) {
    io.out(JSON.stringify({ pid: info.pid, version: info.version, protocolVersion: info.protocolVersion, home: info.home, socket: paths.socket, log: paths.log, started: before !== info.pid }) + '\n');
  } else io.out(`podsmith daemon ${info.version} ${before === info.pid ? 'already running' : 'started'}: pid ${info.pid}, socket ${paths.socket}\n`);
  return 0;
}

/** Splices stdin and stdout to the daemon's socket until either side ends. */
async function dialStdio(home: string): Promise<number> {
  const client = await connectDaemon({ home, clientName: `podsmith dial-stdio ${version}` });
  client.close(); // only to start it (and learn it answers); the stream below is raw
  const socket = connect(daemonPaths(home).socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  process.stdin.pipe(socket);
  socket.pipe(process.stdout);
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.once('error', () => resolve());
  });
  process.stdin.unpipe(socket);
  process.stdin.destroy();
  return 0;
}

async function stop(home: string, io: Io): Promise<number> {
  let client;
  try {
    client = await connectDaemon({ home, autoStart: false, clientName: `podsmith-cli ${version}` });
  } catch (err) {
    if (!(err instanceof DaemonError)) throw err;
    io.out('no podsmith daemon is running\n');
    return 0;
  }
  const pid = client.info!.pid;
  const gone = new Promise<void>((r) => client.onClose(r));
  await client.shutdown();
  await Promise.race([gone, new Promise((r) => setTimeout(r, 10_000).unref())]);
  client.close();
  // The socket closes before the daemon releases its lock; wait for the process so a start right after works.
  for (let i = 0; i < 400 && alive(pid); i++) await new Promise((r) => setTimeout(r, 25));
  io.out(`podsmith daemon (pid ${pid}) stopped; pods keep running\n`);
  return 0;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
