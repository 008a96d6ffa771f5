// `podsmith`: a thin dispatcher over the engine's commands. Exit codes: 0 success, 1 the operation
// failed, 2 usage (or an I/O problem that stopped the command).
import { isUsageError, runNamedCommand, type Command } from './dispatch';
import { takeHostOptions } from './host-options';
import { processIo, reportError, type Io } from './io';
import { POD_COMMANDS } from './pod-commands';
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
  unshare [CMD...]      run a command in your user namespace, where rootless pods run
  microvm fetch-kernel  download the microVM guest kernel into the cache (also: microvm image)

Remote hosts:
  host add NAME ssh://[user@]host[:port]   remember a host (checks its key and the login)
  host ls | host rm NAME | host test NAME  list, forget, check (installs the engine there)
  --host NAME           run a pod command, doctor or daemon status|stop on that host (a host of
                        'host ls', a Host of ~/.ssh/config, or ssh://...); PODSMITH_HOST does the same
  --accept-new-host-key accept (and record) a host key seen for the first time

  version               print the version

Run 'podsmith COMMAND --help' for a command's options.`;

// Each command's module loads when it runs: a pod command then never evaluates the linter, the schema or
// the registry client. (The built CLI goes further: bin.ts sends the pod commands to a bundle of their own.)
const COMMANDS: Record<string, Command> = {
  lint: async (argv, io) => {
    const { lintCommand, LINT_USAGE } = await import('./commands/lint');
    try {
      return lintCommand(argv, io, version);
    } catch (err) {
      if (!isUsageError(err)) throw err;
      reportError(io, `podsmith lint: ${(err as Error).message}\n`);
      io.err(`\n${LINT_USAGE}\n`);
      return 2;
    }
  },
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
  ...POD_COMMANDS,
  'port-forward': async (argv, io, deps) => (await import('./commands/port-forward')).portForwardPodCommand(argv, io, deps),
  host: async (argv, io) => (await import('./commands/host')).hostCommand(argv, io),
  daemon: async (argv, io) => (await import('./commands/daemon')).daemonCommand(argv, io),
  unshare: async (argv, io) => (await import('./commands/unshare')).unshareCommand(argv, io),
  microvm: async (argv, io) => (await import('./commands/microvm')).microvmCommand(argv, io),
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
  const command = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!command) {
    reportError(io, `podsmith: unknown command "${cmd}"\n\n${USAGE}\n`);
    return 2;
  }
  if (!REMOTE_CAPABLE.has(cmd)) return runNamedCommand(cmd, command, rest, io);
  // --host (or PODSMITH_HOST) picks the host; this machine without it. The SSH code loads only for a remote host.
  const onHost: Command = async (args, cio) => {
    const { argv: own, opts } = takeHostOptions(args);
    if (opts.host === undefined || opts.host === 'local') return command(own, cio);
    const remote = await import('./remote');
    if (cmd === 'doctor' || cmd === 'daemon') return remote.runOnRemote(cmd, own, cio, opts);
    const selection = remote.selectRemote(opts, cio);
    return command(own, cio, selection ? { connect: selection.connect, remote: selection } : undefined);
  };
  return runNamedCommand(cmd, onHost, rest, io);
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
