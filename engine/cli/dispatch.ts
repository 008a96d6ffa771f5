// Running one named command: an error it throws becomes a message and an exit code (2 for usage, 1 for the
// rest). Shared by main.ts (every command) and pod-main.ts (the pod commands' own bundle), so both print the
// same thing for the same failure.
import { UsageError } from './files';
import { reportError, type Io } from './io';

export type Command = (argv: string[], io: Io) => number | Promise<number>;

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
