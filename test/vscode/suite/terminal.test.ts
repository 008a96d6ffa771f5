/// <reference types="mocha" />
// "Open Terminal" on the real engine: a shell in a running container through the daemon's exec stream with a
// real pty. Typed commands run, Ctrl-C ends a foreground command, the panel's size reaches the pty, the exit
// code ends up in Terminal.exitStatus, and failures (a stopped container, the daemon going away) are said.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { BUSYBOX, startEngine, until, whyNoEngine, within, type TestEngine } from './engine';

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: term
spec:
  restartPolicy: Never
  containers:
    - name: app
      image: ${BUSYBOX}
      command: ["sh", "-c", "while true; do sleep 1; done"]
    - name: short
      image: ${BUSYBOX}
      command: ["sh", "-c", "sleep 1; exit 3"]
`;

/** What the command resolves to (client/terminal/index.ts). */
interface ExecTerminal {
  terminal: vscode.Terminal;
  onDidWrite: vscode.Event<string>;
  onDidSetDimensions: vscode.Event<vscode.TerminalDimensions>;
  readonly dimensions: vscode.TerminalDimensions | undefined;
}

/** Collects a terminal's output and waits for text in it (from a mark on), without sleeping. */
class Screen {
  text = '';
  private mark = 0;
  private waiters = new Set<() => void>();

  constructor(readonly handle: ExecTerminal) {
    handle.onDidWrite((s) => {
      this.text += s;
      for (const w of this.waiters) w();
    });
  }

  /** Later waits only look at output written after this call. */
  skip(): void {
    this.mark = this.text.length;
  }

  /** Resolves with the match in the output since the mark; moves the mark past it. */
  waitFor(pattern: RegExp, what: string, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const m = this.text.slice(this.mark).match(pattern);
        if (!m) return false;
        this.mark += (m.index ?? 0) + m[0].length;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(m);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the terminal shows:\n${JSON.stringify(this.text.slice(-600))}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

async function openTerminal(arg: unknown): Promise<{ handle: ExecTerminal; screen: Screen }> {
  const handle = await vscode.commands.executeCommand<ExecTerminal | undefined>('podsmith.pod.exec', arg);
  assert.ok(handle, 'podsmith.pod.exec returned no terminal');
  return { handle, screen: new Screen(handle) };
}

/** Resolves with the terminal's exit status once VS Code reports it closed. */
function closed(terminal: vscode.Terminal): Promise<vscode.TerminalExitStatus | undefined> {
  return new Promise((resolve) => {
    const sub = vscode.window.onDidCloseTerminal((t) => {
      if (t !== terminal) return;
      sub.dispose();
      resolve(t.exitStatus);
    });
  });
}

// busybox sh's prompt as root in /; the image has no bash, so every terminal here shows the fallback first. ash
// asks the terminal for the cursor position right after it (ESC [6n) and may redraw it once answered.
const PROMPT = /\/ # /;

export function defineTerminalTests(): void {
  suite('terminal (podsmith.pod.exec)', function () {
    let engine: TestEngine | undefined;

    suiteSetup(async function () {
      const why = whyNoEngine();
      if (why) {
        console.log(`[ext-test] skipping the terminal tests: ${why}`);
        return this.skip();
      }
      this.timeout(120_000);
      engine = await startEngine();
      await engine.run(POD);
    });

    teardown(() => {
      for (const t of vscode.window.terminals) t.dispose();
    });

    suiteTeardown(async function () {
      this.timeout(60_000);
      await engine?.dispose();
    });

    test('opens a shell in the container (sh when bash is missing) and runs what is typed', async () => {
      const { handle, screen } = await openTerminal({ pod: 'term', container: 'app' });
      assert.equal(handle.terminal.name, 'term/app');
      await screen.waitFor(/bash is not in the container; starting sh\./, 'the fallback to sh');
      await screen.waitFor(PROMPT, 'the prompt');
      handle.terminal.sendText('echo "answer: $((6 * 7))"; cat /proc/1/cmdline | tr "\\0" " "');
      await screen.waitFor(/\r\nanswer: 42\r\n/, 'the command output');
      // PID 1 of the container's pid namespace is its own command, so the shell runs inside the container.
      await screen.waitFor(/sh -c while true; do sleep 1; done/, 'the container\'s PID 1');
      assert.ok(!/podsmith exec/.test(screen.text), 'no podsmith command line may be typed into the terminal');
    });

    test('Ctrl-C reaches the foreground command through the pty', async () => {
      const { handle, screen } = await openTerminal({ pod: 'term', container: 'app' });
      await screen.waitFor(PROMPT, 'the prompt');
      handle.terminal.sendText('echo sleeping; sleep 1000');
      await screen.waitFor(/\r\nsleeping\r\n/, 'the command to start');
      handle.terminal.sendText('\x03', false);
      await screen.waitFor(PROMPT, 'the prompt after Ctrl-C (sleep 1000 ended)');
      handle.terminal.sendText('echo "status=$?"');
      await screen.waitFor(/status=130/, 'the exit status of the interrupted command (128 + SIGINT)');
    });

    test('the panel size reaches the pty, at start and on resize', async function () {
      this.timeout(40_000);
      const { handle, screen } = await openTerminal({ pod: 'term', container: 'app' });
      await screen.waitFor(PROMPT, 'the prompt');
      await until('the panel to lay the terminal out', () => handle.dimensions !== undefined);
      const first = handle.dimensions!;
      handle.terminal.sendText('stty size');
      await screen.waitFor(sttySize(first), `stty size = ${first.rows} ${first.columns}`);

      // Maximizing the panel gives the terminal more rows.
      const resized = new Promise<vscode.TerminalDimensions>((resolve) => {
        const sub = handle.onDidSetDimensions((d) => {
          if (d.rows === first.rows && d.columns === first.columns) return;
          sub.dispose();
          resolve(d);
        });
      });
      await vscode.commands.executeCommand('workbench.action.toggleMaximizedPanel');
      try {
        const next = await resized;
        handle.terminal.sendText('stty size');
        await screen.waitFor(sttySize(next), `stty size = ${next.rows} ${next.columns} after the resize`);
      } finally {
        await vscode.commands.executeCommand('workbench.action.toggleMaximizedPanel');
      }
    });

    test('exit 3 is shown and becomes the terminal\'s exit status', async () => {
      const { handle, screen } = await openTerminal({ pod: 'term', container: 'app' });
      await screen.waitFor(PROMPT, 'the prompt');
      const done = closed(handle.terminal);
      handle.terminal.sendText('exit 3');
      await screen.waitFor(/sh exited with code 3\. Press any key to close the terminal\./, 'the exit code line');
      assert.equal(handle.terminal.exitStatus, undefined, 'the terminal stays open to show the exit code');
      handle.terminal.sendText('x', false);
      const status = await done;
      assert.equal(status?.code, 3);
    });

    test('a container that is not running gets a clear message, not a hang', async () => {
      await until('container short to exit', async () => {
        const pod = await engine!.client.getPod('term');
        return pod.containerStatuses.find((c) => c.name === 'short')?.state.terminated !== undefined;
      });
      const { handle, screen } = await openTerminal({ pod: 'term', container: 'short' });
      await screen.waitFor(/container "short" of pod term is not running \(terminated: exit code 3/, 'the not-running message');
      await screen.waitFor(/Press any key to close the terminal\./, 'the prompt to close');
      const done = closed(handle.terminal);
      handle.terminal.sendText('x', false);
      await done;
    });

    test('without a container, the user picks one of the pod\'s containers', async () => {
      const opening = vscode.commands.executeCommand<ExecTerminal | undefined>('podsmith.pod.exec', { pod: 'term' });
      let handle: ExecTerminal | undefined;
      void opening.then((h) => (handle = h));
      // The picker lists app (first) and short; accepting the first item picks app.
      await until('the container picker to be answered', async () => {
        if (handle) return true;
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        return false;
      });
      assert.equal(handle!.terminal.name, 'term/app');
      const screen = new Screen(handle!);
      await screen.waitFor(PROMPT, 'the prompt');
    });

    test('the daemon going away ends the session with a message', async function () {
      this.timeout(60_000);
      const { handle, screen } = await openTerminal({ pod: 'term', container: 'app' });
      await screen.waitFor(PROMPT, 'the prompt');
      // Each step bounded on its own, so that a hang names its step rather than the test's timeout.
      try {
        await within('the daemon to stop', engine!.stopDaemon(), 25_000);
        await screen.waitFor(/lost the session: .*daemon/, 'the lost-daemon message');
        const done = closed(handle.terminal);
        handle.terminal.sendText('x', false);
        const status = await within('the terminal to close on a key press', done, 10_000);
        assert.equal(status?.code, undefined, 'no exit code is known when the daemon went away');
      } finally {
        await within('a daemon to start again', engine!.startDaemon(), 20_000);
      }
    });
  });
}

/**
 * The line `stty size` prints. busybox's sh asks the terminal for the cursor position (ESC[6n) when it prompts;
 * when the command is typed before the terminal's answer arrives, the tty echoes the answer (^[[7;5R) in front
 * of the output.
 */
function sttySize(d: vscode.TerminalDimensions): RegExp {
  return new RegExp(`\\r\\n(?:\\^\\[\\[\\d+;\\d+R)?${d.rows} ${d.columns}\\r\\n`);
}
