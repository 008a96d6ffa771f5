// "Open Terminal" (`podsmith.pod.exec`): an integrated terminal with a shell in a container, through the daemon's
// exec stream (exec-pty.ts). The argument is a tree item or `{ host?, pod, container? }`; without a container
// the user picks one when the pod has several, without a pod the user picks the pod.
import * as vscode from 'vscode';
import type { EngineAccess } from '../engine/access';
import { pickContainer, pickPod } from '../pick-container';
import { ExecPseudoterminal, type CloseOnExit, type ShellSettings } from './exec-pty';

/** What the command resolves to: the terminal, and its pty's events (for tests and other extensions). */
export interface ExecTerminal {
  terminal: vscode.Terminal;
  /** Everything written to the terminal. */
  onDidWrite: vscode.Event<string>;
  /** Every size the panel gave the terminal. */
  onDidSetDimensions: vscode.Event<vscode.TerminalDimensions>;
  /** The latest size; undefined until the panel has laid the terminal out. */
  readonly dimensions: vscode.TerminalDimensions | undefined;
}

export function register(context: vscode.ExtensionContext, engine: EngineAccess): void {
  context.subscriptions.push(vscode.commands.registerCommand('podsmith.pod.exec', (arg?: unknown) => openTerminal(engine, arg)));
}

function shellSettings(): ShellSettings {
  const cfg = vscode.workspace.getConfiguration('podsmith.terminal');
  const args = cfg.get<unknown>('shellArgs');
  return {
    shell: cfg.get<string>('shell')?.trim() || 'bash',
    args: Array.isArray(args) ? args.filter((a): a is string => typeof a === 'string') : [],
    closeOnExit: cfg.get<CloseOnExit>('closeOnExit') ?? 'onSuccess',
  };
}

async function openTerminal(engine: EngineAccess, arg: unknown): Promise<ExecTerminal | undefined> {
  let ref = arg === undefined ? undefined : engine.refOf(arg);
  if (arg !== undefined && !ref) {
    void vscode.window.showErrorMessage('Open Terminal needs a pod: { pod: "name", container?: "name" }, or a pod or container of the Podsmith view.');
    return undefined;
  }
  let container = ref?.container;
  try {
    if (!ref) {
      ref = await pickPod(engine, 'Open Terminal');
      if (!ref) return undefined;
    }
    if (!container) {
      const picked = await pickContainer(await engine.client(ref.host), ref.pod, { title: `Open Terminal in ${ref.pod}`, init: 'running' });
      if (typeof picked !== 'string') return undefined;
      container = picked;
    }
  } catch (err) {
    void vscode.window.showErrorMessage(`Cannot open a terminal${ref ? ` in pod ${ref.pod}` : ''}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  const pty = new ExecPseudoterminal(engine, { host: ref.host, pod: ref.pod, container }, shellSettings());
  const name = `${ref.host === 'local' ? '' : ref.host + ': '}${ref.pod}/${container}`;
  const terminal = vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon('vm') });
  terminal.show();
  return {
    terminal,
    onDidWrite: pty.onDidWrite,
    onDidSetDimensions: pty.onDidSetDimensions,
    get dimensions() {
      return pty.dimensions;
    },
  };
}
