// The entry of the pod commands' bundle (dist/podsmith-pods.js): bin.ts sends `run`, `ps`, `rm`... here, so a
// pod command loads the daemon client and its own module, not the engine (linter, schema, registry client).
import { runNamedCommand } from './dispatch';
import { processIo, type Io } from './io';
import { POD_COMMANDS } from './pod-commands';
import type { PodCommandName } from './pod-command-names';

export function main(argv: string[], io: Io = processIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!Object.hasOwn(POD_COMMANDS, cmd)) throw new Error(`podsmith: "${cmd}" is not a pod command`);
  return runNamedCommand(cmd, POD_COMMANDS[cmd as PodCommandName], rest, io);
}
