// What `pull`, `push`, `login` and `logout` share: injectable dependencies (so tests need no subprocess or real
// home) and the mapping of failures to exit codes: 2 for usage (a bad flag, reference or platform), 1 when the
// operation fails. Messages come from ImageError, which never carries secrets.
import { podsmithHome } from '../../home';
import { openStore, type ImageStore } from '../../image/store';
import { ImageError } from '../../image/types';
import type { RetryPolicy, Timeouts } from '../../image/registry/limits';
import { runCommand } from '../run-command';
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
export function runRegistryCommand(name: string, usage: string, io: Io, body: () => Promise<number>): Promise<number> {
  return runCommand(name, usage, io, body, USAGE_CODES);
}
