// An integrated terminal's Pseudoterminal over the daemon's exec stream with a real pty in the container: typed
// bytes (Ctrl-C included) go to the container's terminal as they are, its output comes back as it is, and the
// panel's size follows as Resize frames. No command line is ever typed into a shell to get there.
//
// The shell is tried, not guessed: the configured one first (bash by default); when the container has no such
// program (the engine says so with exit 127 and a one-line message, see engine/pods/native/exec-start.ts), sh
// is started instead. Output of the first attempt is held back only while it may still be that message.
import { StringDecoder } from 'node:string_decoder';
import { basename } from 'node:path';
import { finished } from 'node:stream/promises';
import * as vscode from 'vscode';
import type { AttachedSession, SessionEnd } from '../../engine/client/attach';
import { safeText } from '../../engine/text/safe-text';
import type { EngineAccess } from '../engine/access';

export interface ExecTarget {
  host: string;
  pod: string;
  container: string;
}

export type CloseOnExit = 'always' | 'onSuccess' | 'never';

export interface ShellSettings {
  /** Program to start (name looked up in the container's PATH, or a path). */
  shell: string;
  args: string[];
  /** When the terminal closes itself after the shell ended. */
  closeOnExit: CloseOnExit;
}

const DIM = '\x1b[2m';
const RED = '\x1b[31m';
const RESET = '\x1b[0m';
/** Input kept from a first attempt, to replay into the fallback shell (keys typed while bash was tried). */
const MAX_REPLAY = 64 * 1024;
/** The engine's words when a command cannot be started (exec-start.ts), e.g. `exec: "bash": executable file not found in $PATH`. */
const NOT_FOUND = /^exec: "[^"]*": .*(not found|no such file or directory)/i;
const MESSAGE_START = 'exec: "';

/** The commands to try in turn: the configured shell, then sh unless that is what was configured. */
export function shellCandidates(s: ShellSettings): string[][] {
  const first = [s.shell || 'bash', ...s.args];
  return basename(first[0]!) === 'sh' ? [first] : [first, ['sh']];
}

type Phase = 'starting' | 'running' | 'ended' | 'closed';

export class ExecPseudoterminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  private readonly dimensionsEmitter = new vscode.EventEmitter<vscode.TerminalDimensions>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  /** Every size VS Code gave this terminal (tests check that it reaches the pty). */
  readonly onDidSetDimensions = this.dimensionsEmitter.event;
  /** The panel's latest size; undefined until VS Code has told. */
  dimensions: vscode.TerminalDimensions | undefined;

  private phase: Phase = 'starting';
  private opened = false;
  /** VS Code drops writes before open(). */
  private early: string[] = [];
  private session: AttachedSession | undefined;
  /** The size the container's pty has: the exec's initial size, then the last Resize sent. */
  private ptySize: vscode.TerminalDimensions | undefined;
  private queuedInput: string[] = [];
  private replay: string[] | undefined;
  private replayBytes = 0;
  private exitCode: number | undefined;

  constructor(
    private readonly engine: EngineAccess,
    private readonly target: ExecTarget,
    private readonly settings: ShellSettings,
  ) {}

  open(initial: vscode.TerminalDimensions | undefined): void {
    this.opened = true;
    for (const s of this.early.splice(0)) this.writeEmitter.fire(s);
    if (initial) this.dimensions = initial;
    void this.run().catch((err: unknown) => this.fail(messageOf(err)));
  }

  close(): void {
    // The user closed the terminal: hanging up makes the daemon end the command in the container.
    this.phase = 'closed';
    this.session?.close();
    this.session = undefined;
  }

  handleInput(data: string): void {
    if (this.phase === 'ended') return this.dismiss();
    if (this.phase === 'closed') return;
    if (!this.session) {
      this.queuedInput.push(data);
      return;
    }
    this.send(data);
  }

  setDimensions(d: vscode.TerminalDimensions): void {
    this.dimensions = d;
    this.dimensionsEmitter.fire(d);
    this.syncSize();
  }

  private write(s: string): void {
    if (this.opened) this.writeEmitter.fire(s);
    else this.early.push(s);
  }

  private send(data: string): void {
    this.session!.stdin.write(data);
    if (this.replay && this.replayBytes < MAX_REPLAY) {
      this.replay.push(data);
      this.replayBytes += data.length;
    }
  }

  /** Sends the panel's size when it differs from the pty's; none before VS Code gave one. */
  private syncSize(): void {
    const d = this.dimensions;
    if (!this.session || !d) return;
    if (this.ptySize && this.ptySize.columns === d.columns && this.ptySize.rows === d.rows) return;
    this.session.resize({ columns: d.columns, rows: d.rows });
    this.ptySize = { ...d };
  }

  private async run(): Promise<void> {
    const { host, pod, container } = this.target;
    const client = await this.engine.client(host);
    const candidates = shellCandidates(this.settings);
    for (let i = 0; i < candidates.length; i++) {
      const command = candidates[i]!;
      const canFallBack = i < candidates.length - 1;
      const size = this.dimensions ? { columns: this.dimensions.columns, rows: this.dimensions.rows } : undefined;
      const session = await client.exec({ pod, container, command, tty: true, stdin: true, ...(size ? { size } : {}) });
      if (this.phase === 'closed') {
        session.close();
        return;
      }
      this.session = session;
      this.ptySize = size;
      this.phase = 'running';
      this.syncSize(); // the panel may have changed size while the exec started
      const typed = [...(this.replay ?? []), ...this.queuedInput.splice(0)];
      this.replay = canFallBack ? [] : undefined;
      this.replayBytes = 0;
      for (const data of typed) this.send(data);

      const end = await this.pump(session, canFallBack);
      if (this.isClosed()) return;
      this.session = undefined;
      if (end === 'not-found') {
        this.write(`${DIM}${safeText(command[0]!)} is not in the container; starting ${safeText(candidates[i + 1]![0]!)}.${RESET}\r\n`);
        continue;
      }
      return this.ended(end, command[0]!);
    }
  }

  /**
   * Copies the session's output to the terminal until it ends. With `mayBeMissing`, output is held back while it
   * could still be the engine's "cannot start" line, and a 127 exit with that line is reported as 'not-found'.
   */
  private async pump(session: AttachedSession, mayBeMissing: boolean): Promise<SessionEnd | 'not-found'> {
    const decoder = new StringDecoder('utf8');
    let held: string | undefined = mayBeMissing ? '' : undefined;
    const onData = (chunk: Buffer): void => {
      const text = decoder.write(chunk);
      if (held === undefined) return this.write(text);
      held += text;
      const trimmed = held.trimStart();
      if (MESSAGE_START.startsWith(trimmed) || trimmed.startsWith(MESSAGE_START)) return;
      this.write(held);
      held = undefined;
    };
    session.stdout.on('data', onData);
    session.stderr.resume(); // merged into the terminal with a tty; nothing arrives here
    const [end] = await Promise.all([session.ended, finished(session.stdout).catch(() => undefined)]);
    const rest = decoder.end();
    if (held !== undefined) {
      held += rest;
      if (end.kind === 'exit' && end.code === 127 && NOT_FOUND.test(held.trim())) return 'not-found';
      this.write(held);
    } else if (rest) this.write(rest);
    return end;
  }

  private ended(end: SessionEnd, shell: string): void {
    if (end.kind === 'exit') {
      this.exitCode = end.code;
      const close = this.settings.closeOnExit;
      if (close === 'always' || (close === 'onSuccess' && end.code === 0)) return this.finishNow();
      this.phase = 'ended';
      this.write(`\r\n${DIM}${safeText(basename(shell))} exited with code ${end.code}. Press any key to close the terminal.${RESET}\r\n`);
      return;
    }
    this.fail(end.kind === 'error' ? `lost the session: ${end.message}` : 'the daemon ended the session without an exit code');
  }

  /** A failure before or instead of an exit code: said in the terminal, which stays until a key is pressed. */
  private fail(message: string): void {
    if (this.phase === 'closed') return;
    this.session?.close();
    this.session = undefined;
    this.phase = 'ended';
    this.write(`\r\n${RED}${safeText(message)}${RESET}\r\n${DIM}Press any key to close the terminal.${RESET}\r\n`);
  }

  /** A method, so that checks after an await are not narrowed away by the compiler. */
  private isClosed(): boolean {
    return this.phase === 'closed';
  }

  private dismiss(): void {
    this.finishNow();
  }

  private finishNow(): void {
    this.phase = 'closed';
    this.closeEmitter.fire(this.exitCode);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
