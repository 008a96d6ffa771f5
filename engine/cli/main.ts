// `podsmith`: a thin dispatcher over the engine's commands. Exit codes: 0 success, 1 the operation
// failed, 2 usage (or an I/O problem that stopped the command).
import { daemonCommand } from './commands/daemon';
import { describeCommand } from './commands/describe';
import { eventsCommand } from './commands/events';
import { execCommand } from './commands/exec';
import { doctorCommand } from './commands/doctor';
import { imagesCommand } from './commands/images';
import { lintCommand, LINT_USAGE } from './commands/lint';
import { loadCommand } from './commands/load';
import { loginCommand, logoutCommand } from './commands/login';
import { logsCommand } from './commands/logs';
import { portForwardPodCommand } from './commands/port-forward';
import { pruneCommand } from './commands/prune';
import { psCommand } from './commands/ps';
import { pullCommand } from './commands/pull';
import { pushCommand } from './commands/push';
import { rmCommand } from './commands/rm';
import { rmiCommand } from './commands/rmi';
import { rulesCommand } from './commands/rules';
import { podRunCommand } from './commands/run';
import { schemaCommand } from './commands/schema';
import { stopCommand } from './commands/stop';
import { UsageError } from './files';
import { processIo, type Io } from './io';
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

  version               print the version

Run 'podsmith COMMAND --help' for a command's options.`;

type Command = (argv: string[], io: Io) => number | Promise<number>;

const COMMANDS: Record<string, Command> = {
  lint: (argv, io) => lintCommand(argv, io, version),
  rules: rulesCommand,
  doctor: (argv, io) => doctorCommand(argv, io),
  schema: schemaCommand,
  pull: (argv, io) => pullCommand(argv, io),
  push: (argv, io) => pushCommand(argv, io),
  load: (argv, io) => loadCommand(argv, io),
  images: (argv, io) => imagesCommand(argv, io),
  rmi: (argv, io) => rmiCommand(argv, io),
  prune: (argv, io) => pruneCommand(argv, io),
  login: (argv, io) => loginCommand(argv, io),
  logout: (argv, io) => logoutCommand(argv, io),
  run: (argv, io) => podRunCommand(argv, io),
  ps: (argv, io) => psCommand(argv, io),
  describe: (argv, io) => describeCommand(argv, io),
  logs: (argv, io) => logsCommand(argv, io),
  exec: (argv, io) => execCommand(argv, io),
  stop: (argv, io) => stopCommand(argv, io),
  rm: (argv, io) => rmCommand(argv, io),
  events: (argv, io) => eventsCommand(argv, io),
  'port-forward': (argv, io) => portForwardPodCommand(argv, io),
  daemon: (argv, io) => daemonCommand(argv, io),
  // Internal: the per-pod supervisor process of pod-wasm (started by the daemon, not by people).
  '__wasm-supervisor': async (argv) => (await import('../pods/wasm/supervisor-main')).runWasmSupervisor(argv),
};

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
    io.err(`podsmith: unknown command "${cmd}"\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await command(rest, io);
  } catch (err) {
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`podsmith ${cmd}: ${(err as Error).message}\n`);
      if (cmd === 'lint') io.err(`\n${LINT_USAGE}\n`);
      return 2;
    }
    io.err(`podsmith ${cmd}: ${(err as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
