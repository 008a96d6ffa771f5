// How a command's failure becomes a message and an exit code: 2 for usage (a bad flag, or an ImageError
// whose code means the input was wrong), 1 when the operation failed. ImageError messages never carry secrets,
// and what is printed has its control characters escaped (messages quote what registries and images say).
import { ImageError } from '../image/types';
import { UsageError } from './files';
import { reportError, type Io } from './io';

export async function runCommand(
  name: string,
  usage: string,
  io: Io,
  body: () => Promise<number>,
  usageCodes: ReadonlySet<string> = new Set(),
): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      reportError(io, `podsmith ${name}: ${(err as Error).message}\n\n${usage}\n`);
      return 2;
    }
    if (err instanceof ImageError) {
      reportError(io, `podsmith ${name}: ${err.message}\n`);
      return usageCodes.has(err.code) ? 2 : 1;
    }
    reportError(io, `podsmith ${name}: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
