// What the pod commands (run, ps, describe, logs, exec, stop, rm, events) share: a connection to the daemon
// (started on demand), and failures turned into a message that says what to do next and an exit code: 2 for
// usage, 1 when the operation failed.
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { connectDaemon, type ConnectOptions } from '../../client/connect';
import { DaemonError, type DaemonClient } from '../../client/daemon-client';
import { PodError } from '../../pods/types';
import { version } from '../../../package.json';
import { UsageError } from '../files';
import { processIo, reportError, type Io } from '../io';
import type { RemoteSelection } from '../remote';
import { runCommand } from '../run-command';

export interface PodCommandDeps {
  /** How to reach the daemon; default: connect (starting it when absent). */
  connect?: () => Promise<DaemonClient>;
  connectOptions?: ConnectOptions;
  now?: () => number;
  /** Ends a follow or watch (default: the first SIGINT or SIGTERM). */
  signal?: AbortSignal;
  /** The remote host the command runs against (--host), when not this machine. */
  remote?: RemoteSelection;
}

/** An AbortSignal that fires on Ctrl-C or SIGTERM, unless the caller brought its own; dispose removes the handlers. */
export function interruptSignal(deps: PodCommandDeps): { signal: AbortSignal; dispose(): void } {
  if (deps.signal) return { signal: deps.signal, dispose: () => {} };
  const ac = new AbortController();
  const onSignal = (): void => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** A failure whose message already says what to do; printed as is, exit 1. */
export class CommandFailed extends Error {}

/** Next steps per PodError code, appended to the runtime's message. */
const HINTS: Partial<Record<PodError['code'], string>> = {
  NOT_FOUND: "'podsmith ps -a' lists pods",
  ALREADY_EXISTS: "'podsmith rm -f NAME' removes the existing pod, or give this one another metadata.name",
  BUSY: 'another operation on this pod is in progress; try again when it finishes',
  NOT_RUNNING: "'podsmith describe POD' shows its state, 'podsmith logs -c CONTAINER POD' its output",
  IMAGE: "check the image name; 'podsmith pull IMAGE' shows what the registry answers",
  INVALID: "'podsmith lint FILE' shows the same findings",
  CANCELLED: 'run it again when you want the pod',
  RESOURCE_EXHAUSTED: "'podsmith ps -a' lists the pods; 'podsmith rm' deletes the ones you no longer need",
};

export function runPodCommand(
  name: string,
  usage: string,
  io: Io,
  deps: PodCommandDeps,
  body: (client: DaemonClient) => Promise<number>,
): Promise<number> {
  return runCommand(name, usage, io, async () => {
    let client: DaemonClient;
    try {
      client = await (deps.connect ?? (() => connectDaemon({ clientName: `podsmith-cli ${version}`, ...deps.connectOptions })))();
    } catch (err) {
      if (err instanceof DaemonError) return fail(io, name, err.message);
      throw err;
    }
    try {
      return await body(client);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      if (err instanceof PodError) return fail(io, name, withHint(err));
      if (err instanceof DaemonError || err instanceof CommandFailed) return fail(io, name, err.message);
      throw err;
    } finally {
      client.close();
    }
  });
}

/** A PodError as the user sees it: the runtime's message, the findings, and what to do next. */
export function withHint(err: PodError): string {
  const hint = HINTS[err.code];
  if (err.code === 'INVALID' && err.details?.findings?.length) {
    // The findings come from the same validator as `podsmith lint`, printed the same way.
    const lines = err.details.findings.map((f) => `  ${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.severity} [${f.rule}] ${f.message}`);
    return `${err.message}\n${lines.join('\n')}${hint ? `\n${hint}` : ''}`;
  }
  return (hint && !err.message.includes(hint) ? `${err.message}; ${hint}` : err.message) + failureOutput(err);
}

/** The failing container's last output lines (the pod and its logs are gone), indented under the message. */
function failureOutput(err: PodError): string {
  const f = err.details?.failure;
  if (!f?.lastLines.length) return '';
  return `\nlast output of container "${f.container}":\n${f.lastLines.map((l) => `  | ${l}`).join('\n')}`;
}

function fail(io: Io, name: string, message: string): number {
  reportError(io, `podsmith ${name}: ${message}\n`);
  return 1;
}

/** Where byte output goes: the process's stdout (with backpressure) or, in tests, the Io sink. */
export function outputStream(io: Io, kind: 'out' | 'err'): NodeJS.WritableStream {
  if (io === processIo) return kind === 'out' ? process.stdout : process.stderr;
  const sink = kind === 'out' ? io.out : io.err;
  // A character split across two chunks must not become two replacement characters.
  const decoder = new StringDecoder('utf8');
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      sink(decoder.write(chunk));
      cb();
    },
    final(cb) {
      sink(decoder.end());
      cb();
    },
  });
}
