// `podsmith`: a thin dispatcher over the engine's commands. Exit codes: 0 success, 1 the operation
// failed, 2 usage (or an I/O problem that stopped the command).
import { lintCommand, LINT_USAGE } from './commands/lint';
import { rulesCommand } from './commands/rules';
import { schemaCommand } from './commands/schema';
import { UsageError } from './files';
import { processIo, type Io } from './io';
import { version } from '../../package.json';

const USAGE = `podsmith ${version}: write, check and run Kubernetes-style pods

Usage: podsmith COMMAND [OPTIONS]

Commands:
  lint PATH...        check pod manifests (schema, security limits, semantic rules)
  rules               list every rule with its default severity
  schema --export     print the Pod JSON Schema Podsmith validates with
  version             print the version

Run 'podsmith COMMAND --help' for a command's options.`;

export function main(argv: string[], io: Io = processIo): number {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'lint':
        return lintCommand(rest, io, version);
      case 'rules':
        return rulesCommand(rest, io);
      case 'schema':
        return schemaCommand(rest, io);
      case 'version':
      case '--version':
        io.out(version + '\n');
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE + '\n');
        return cmd === undefined ? 2 : 0;
      default:
        io.err(`podsmith: unknown command "${cmd}"\n\n${USAGE}\n`);
        return 2;
    }
  } catch (err) {
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`podsmith ${cmd}: ${(err as Error).message}\n`);
      if (cmd === 'lint') io.err(`\n${LINT_USAGE}\n`);
      return 2;
    }
    io.err(`podsmith ${cmd}: ${(err as Error).stack ?? err}\n`);
    return 1;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
