// `podsmith exec POD [-c C] [-i] [-t] -- CMD...`: streams through the daemon and exits with the command's code.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { UsageError } from '../files';
import type { Io } from '../io';
import { CommandFailed, interruptSignal, outputStream, runPodCommand, type PodCommandDeps } from './daemon-command';

export const EXEC_USAGE = `Usage: podsmith exec [-c CONTAINER] [-i] [-t] POD -- COMMAND [ARG...]

Runs a command in a running container (the first app container unless -c names one). -i passes this
terminal's input to it; -t gives it a terminal (raw mode here, window size changes passed on). Without a
local terminal (a script, a pipe) it works too: output and exit code are the same.
Exit code: the command's own. When the command cannot be started, the reason is printed and the code is a
shell's: 127 when it is not found in the container, 126 when it cannot be run. 1 when the pod or container
does not exist or is not running; 2 for usage.`;

/** The local end: stdin with the tty controls process.stdin has. */
type LocalStdin = Readable & { isTTY?: boolean; setRawMode?(raw: boolean): unknown };

export interface ExecDeps extends PodCommandDeps {
  stdin?: LocalStdin;
}

export function execCommand(argv: string[], io: Io, deps: ExecDeps = {}): Promise<number> {
  return runPodCommand('exec', EXEC_USAGE, io, deps, async (client) => {
    const { values, positionals, tokens } = parseArgs({
      args: argv,
      allowPositionals: true,
      tokens: true,
      options: {
        container: { type: 'string', short: 'c' },
        stdin: { type: 'boolean', short: 'i' },
        tty: { type: 'boolean', short: 't' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.out(EXEC_USAGE + '\n');
      return 0;
    }
    // Everything after `--` is the command, even words that look like our options.
    const dashdash = tokens.find((t) => t.kind === 'option-terminator');
    const before = dashdash ? positionals.slice(0, positionals.length - (argv.length - dashdash.index - 1)) : positionals.slice(0, 1);
    const command = dashdash ? argv.slice(dashdash.index + 1) : positionals.slice(1);
    if (before.length !== 1) throw new UsageError(before.length === 0 ? 'exec needs a pod name' : `exec takes one pod name before --, got ${before.join(' ')}`);
    if (command.length === 0) throw new UsageError('exec needs a command after --, e.g. podsmith exec web -- sh');

    const stdin = deps.stdin ?? (process.stdin as LocalStdin);
    const interactive = !!values.stdin;
    const tty = !!values.tty;
    const localTty = tty && interactive && !!stdin.isTTY && !!process.stdout.isTTY;
    const size = () => ({ columns: process.stdout.columns || 80, rows: process.stdout.rows || 24 });

    const initial = localTty ? size() : { columns: 80, rows: 24 };
    const session = await client.exec({ pod: before[0], container: values.container, command, tty, stdin: interactive, size: tty ? initial : undefined });
    const { signal, dispose } = interruptSignal(deps);
    const onAbort = (): void => session.close();
    signal.addEventListener('abort', onAbort, { once: true });
    const onResize = (): void => session.resize(size());
    try {
      if (localTty) {
        stdin.setRawMode?.(true);
        process.stdout.on('resize', onResize);
        // A resize while the session was starting found no listener yet.
        const now = size();
        if (now.columns !== initial.columns || now.rows !== initial.rows) onResize();
      }
      if (interactive) stdin.pipe(session.stdin);
      const copied = Promise.all([copy(session.stdout, outputStream(io, 'out')), copy(session.stderr, outputStream(io, 'err'))]);
      const end = await session.ended;
      await copied;
      if (signal.aborted) return 130;
      if (end.kind === 'exit') return end.code;
      throw new CommandFailed(end.kind === 'error' ? end.message : 'the daemon ended the session without an exit code');
    } finally {
      signal.removeEventListener('abort', onAbort);
      dispose();
      if (localTty) {
        process.stdout.off('resize', onResize);
        stdin.setRawMode?.(false);
      }
      if (interactive) {
        stdin.unpipe(session.stdin);
        // Reading stdin would keep this process alive after the command is gone.
        stdin.pause();
      }
    }
  });
}

/** Copies to the local stream with backpressure; a reader that went away (EPIPE) just stops the copy. */
async function copy(from: Readable, to: NodeJS.WritableStream): Promise<void> {
  try {
    await pipeline(from, to, { end: false });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
    from.resume();
  }
}
