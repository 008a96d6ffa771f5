// `podsmith`: a thin dispatcher over the engine's commands. Exit codes: 0 success, 1 the operation
// failed, 2 usage (or an I/O problem that stopped the command).
import { UsageError } from './files';
import { takeHostOptions } from './host-options';
import { processIo, reportError, type Io } from './io';
import type { PodCommandDeps } from './commands/daemon-command';
import { version } from '../../package.json';

const USAGE = `podsmith ${version}: write, check and run Kubernetes-style pods

Usage: podsmith COMMAND [OPTIONS]

Manifests:
  lint PATH...          check pod manifests (schema, security limits, semantic rules)
  rules                 list every rule with its default severity
  schema --export       print the Pod JSON Schema Podsmith validates with

Images:
  pull IMAGE            pull an image from a registry into the local store
  push IMAGE [DEST]     push a stored image to a registry
  load -i FILE|DIR      load an OCI layout, oci-archive or docker-archive
  images                list stored images
  rmi NAME...           remove stored images
  prune                 remove unreferenced blobs and unpacked layers
  login [REGISTRY]      store credentials for a registry
  logout [REGISTRY]     forget them

Pods:
  run -f FILE|DIR       run the pods of a manifest file or folder
  ps [-a] [-o FORMAT]   list pods (-o wide|json|yaml)
  describe POD          show a pod in detail, with its events
  logs POD              print a container's log (-f follows)
  exec POD -- CMD...    run a command in a container (-i stdin, -t terminal)
  stop POD              stop a pod's containers
  rm POD                delete a pod (-f also when running)
  events [--watch]      list (and follow) pod events
  port-forward POD L:P  forward a local port to a port on the pod's loopback
  daemon [status|stop]  the engine daemon (started on demand)
  doctor                check that runtimes, conmon, cgroups, KVM, passt... work here

Remote hosts:
  host add NAME ssh://[user@]host[:port]   remember a host (checks its key and the login)
  host ls | host rm NAME | host test NAME  list, forget, check (installs the engine there)
  --host NAME           run a pod command, doctor or daemon status|stop on that host (a host of
                        'host ls', a Host of ~/.ssh/config, or ssh://...); PODSMITH_HOST does the same
  --accept-new-host-key accept (and record) a host key seen for the first time

  version               print the version

Run 'podsmith COMMAND --help' for a command's options.`;

type Command = (argv: string[], io: Io, deps?: PodCommandDeps) => number | Promise<number>;

// Each command's module loads when it runs: a pod command then never evaluates the linter, the schema or
// the registry client, which halves the CLI's start-up (it runs twice per `run` + `rm`).
const COMMANDS: Record<string, Command> = {
  lint: async (argv, io) => (await import('./commands/lint')).lintCommand(argv, io, version),
  rules: async (argv, io) => (await import('./commands/rules')).rulesCommand(argv, io),
  doctor: async (argv, io) => (await import('./commands/doctor')).doctorCommand(argv, io),
  schema: async (argv, io) => (await import('./commands/schema')).schemaCommand(argv, io),
  pull: async (argv, io) => (await import('./commands/pull')).pullCommand(argv, io),
  push: async (argv, io) => (await import('./commands/push')).pushCommand(argv, io),
  load: async (argv, io) => (await import('./commands/load')).loadCommand(argv, io),
  images: async (argv, io) => (await import('./commands/images')).imagesCommand(argv, io),
  rmi: async (argv, io) => (await import('./commands/rmi')).rmiCommand(argv, io),
  prune: async (argv, io) => (await import('./commands/prune')).pruneCommand(argv, io),
  login: async (argv, io) => (await import('./commands/login')).loginCommand(argv, io),
  logout: async (argv, io) => (await import('./commands/login')).logoutCommand(argv, io),
  run: async (argv, io, deps) => (await import('./commands/run')).podRunCommand(argv, io, deps),
  ps: async (argv, io, deps) => (await import('./commands/ps')).psCommand(argv, io, deps),
  describe: async (argv, io, deps) => (await import('./commands/describe')).describeCommand(argv, io, deps),
  logs: async (argv, io, deps) => (await import('./commands/logs')).logsCommand(argv, io, deps),
  exec: async (argv, io, deps) => (await import('./commands/exec')).execCommand(argv, io, deps),
  stop: async (argv, io, deps) => (await import('./commands/stop')).stopCommand(argv, io, deps),
  rm: async (argv, io, deps) => (await import('./commands/rm')).rmCommand(argv, io, deps),
  events: async (argv, io, deps) => (await import('./commands/events')).eventsCommand(argv, io, deps),
  'port-forward': async (argv, io, deps) => (await import('./commands/port-forward')).portForwardPodCommand(argv, io, deps),
  host: async (argv, io) => (await import('./commands/host')).hostCommand(argv, io),
  daemon: async (argv, io) => (await import('./commands/daemon')).daemonCommand(argv, io),
  // Internal: the per-pod supervisor process of pod-wasm (started by the daemon, not by people).
  '__wasm-supervisor': async (argv) => (await import('../pods/wasm/supervisor-main')).runWasmSupervisor(argv),
  // Internal: the remote end of `port-forward --host` (started over SSH by the client, not by people).
  '__pod-dialer': async (argv, io) => (await import('./commands/pod-dialer')).podDialerCommand(argv, io),
};

/** Commands that take --host: every pod command, doctor and daemon status/stop. */
const REMOTE_CAPABLE = new Set(['run', 'ps', 'describe', 'logs', 'exec', 'stop', 'rm', 'events', 'port-forward', 'doctor', 'daemon']);

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === 'version' || cmd === '--version') {
    io.out(version + '\n');
    return 0;
  }
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    io.out(USAGE + '\n');
    return cmd === undefined ? 2 : 0;
  }
  const command = COMMANDS[cmd];
  if (!command) {
    reportError(io, `podsmith: unknown command "${cmd}"\n\n${USAGE}\n`);
    return 2;
  }
  try {
    if (REMOTE_CAPABLE.has(cmd)) {
      const { argv: own, opts } = takeHostOptions(rest);
      if (opts.host !== undefined && opts.host !== 'local') {
        const remote = await import('./remote');
        if (cmd === 'doctor' || cmd === 'daemon') return await remote.runOnRemote(cmd, own, io, opts);
        const selection = remote.selectRemote(opts, io);
        return await command(own, io, selection ? { connect: selection.connect, remote: selection } : undefined);
      }
      return await command(own, io);
    }
    return await command(rest, io);
  } catch (err) {
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      reportError(io, `podsmith ${cmd}: ${(err as Error).message}\n`);
      if (cmd === 'lint') io.err(`\n${(await import('./commands/lint')).LINT_USAGE}\n`);
      return 2;
    }
    reportError(io, `podsmith ${cmd}: ${(err as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
