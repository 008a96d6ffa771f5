// What `pull`, `push`, `login` and `logout` share: injectable dependencies (so tests need no subprocess or real
// home) and the mapping of failures to exit codes: 2 for usage (a bad flag, reference or platform), 1 when the
// operation fails. Messages come from ImageError, which never carries secrets.
import { podsmithHome } from '../../home';
import { openStore, type ImageStore } from '../../image/store';
import { ImageError } from '../../image/types';
import type { RetryPolicy, Timeouts } from '../../image/registry/limits';
import { UsageError } from '../files';
import { processIo, type Io } from '../io';

export interface RegistryCommandDeps {
  env?: NodeJS.ProcessEnv;
  /** Draw progress bars; default: stdout is a terminal (when writing to the process's own stdout). */
  tty?: boolean;
  openStore?: (home: string) => Promise<ImageStore>;
  timeouts?: Timeouts;
  retry?: RetryPolicy;
  signal?: AbortSignal;
  /** All of stdin (login --password-stdin). */
  readStdin?: () => Promise<string>;
  /** Asks on the terminal; `hidden` for passwords. Undefined when there is no terminal. */
  prompt?: (question: string, hidden: boolean) => Promise<string>;
}

const USAGE_CODES = new Set(['INVALID_REFERENCE', 'INVALID_PLATFORM']);

export function isTty(io: Io, deps: RegistryCommandDeps): boolean {
  return deps.tty ?? (io === processIo && !!process.stdout.isTTY);
}

export function storeFor(deps: RegistryCommandDeps): Promise<ImageStore> {
  return (deps.openStore ?? openStore)(podsmithHome(deps.env ?? process.env));
}

/** Runs a command body and turns what it throws into a message and an exit code. */
export async function runRegistryCommand(name: string, usage: string, io: Io, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`podsmith ${name}: ${(err as Error).message}\n\n${usage}\n`);
      return 2;
    }
    if (err instanceof ImageError) {
      io.err(`podsmith ${name}: ${err.message}\n`);
      return USAGE_CODES.has(err.code) ? 2 : 1;
    }
    io.err(`podsmith ${name}: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
