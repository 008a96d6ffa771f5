// Activation only: builds the shared state (ctx.ts) and registers each concern's module. The language server
// (lsp.ts) lints manifests whatever the engine's state; the pod modules reach the engine through ctx.engine.
import * as vscode from 'vscode';
import { registerPodCommands } from './commands/pod-commands';
import { affectsEngine } from './config';
import { Ctx } from './ctx';
import { registerDescribe } from './describe/describe-provider';
import { registerDoctor } from './doctor/doctor-report';
import type { EngineAccess } from './engine/access';
import { registerHostCommands } from './hosts/host-commands';
import { registerLens } from './lens/manifest-lens';
import { LanguageServer } from './lsp';
import { register as registerLogs } from './logs';
import { cancelRunsForTesting, registerRun } from './run/run-command';
import { registerStatusBar } from './status/status-bar';
import { register as registerTerminal } from './terminal';
import { registerTree, type PodsTree } from './tree/pods-tree';

/** What `activate` returns (`vscode.extensions.getExtension('podsmith.podsmith').exports`). */
export interface PodsmithApi {
  /** The engine: a connected daemon client per host, and pod references from command arguments. */
  engine: EngineAccess;
  /** For tests: the Podsmith view's data (getChildren/getTreeItem) and the engine connection's state. */
  testing: {
    tree: PodsTree;
    engineState(): string;
    /** Resolves once the local pod list of the current connection is loaded. */
    podsLoaded(): Promise<void>;
    /** Presses Cancel on the progress notification of every run in progress; returns how many. */
    cancelRuns(): number;
    /** The Podsmith view's message (why the engine is unavailable or cannot run pods), if any. */
    viewMessage(): string | undefined;
    /** A host's connection state (local: the engine's; remote: connecting, connected, unreachable, ...). */
    hostState(host: string): string;
  };
}

let server: LanguageServer | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<PodsmithApi> {
  const ctx = new Ctx(context);
  context.subscriptions.push(ctx);

  const doctor = registerDoctor(ctx);
  const { tree, view } = registerTree(ctx, doctor);
  registerRun(ctx);
  registerPodCommands(ctx);
  registerHostCommands(ctx);
  registerLens(ctx);
  registerDescribe(ctx);
  registerStatusBar(ctx);
  registerTerminal(context, ctx.engine);
  registerLogs(context, ctx.engine);

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affectsEngine(e)) return;
      ctx.log('engine settings changed: reconnecting');
      ctx.engine.local.reset();
      ctx.engine.local.probe();
    }),
  );
  // A daemon that already runs (started by the CLI, or by another window) is joined at once, so the
  // CodeLenses show live state; none is started until the view opens or a command needs one.
  ctx.engine.local.probe();

  server = new LanguageServer(context, ctx.output);
  await server.start();

  return {
    engine: ctx.engine,
    testing: {
      tree,
      engineState: () => ctx.engine.local.state,
      podsLoaded: () => ctx.engine.store().whenLoaded(),
      cancelRuns: cancelRunsForTesting,
      viewMessage: () => view.message,
      hostState: (host) => ctx.engine.connection(host).state,
    },
  };
}

export async function deactivate(): Promise<void> {
  const s = server;
  server = undefined;
  if (s) await s.stop();
}
