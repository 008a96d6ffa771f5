// Running one named command: an error it throws becomes a message and an exit code (2 for usage, 1 for the
// rest). Shared by main.ts (every command) and pod-main.ts (the pod commands' own bundle), so both print the
// same thing for the same failure.
import type { PodCommandDeps } from './commands/daemon-command';
import { UsageError } from './files';
import { reportError, type Io } from './io';

/** A command; the pod commands also take how to reach the daemon (a remote host's, with --host). */
export type Command = (argv: string[], io: Io, deps?: PodCommandDeps) => number | Promise<number>;

/** A UsageError, or node:util parseArgs refusing the arguments. */
export function isUsageError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
}

export async function runNamedCommand(name: string, command: Command, argv: string[], io: Io): Promise<number> {
  try {
    return await command(argv, io);
  } catch (err) {
    reportError(io, `podsmith ${name}: ${(err as Error).message}\n`);
    return isUsageError(err) ? 2 : 1;
  }
}
