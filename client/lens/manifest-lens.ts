// CodeLenses over manifests: "Run" above every Pod and workload document, and while a pod from that document
// exists, its live state (Running 2/2, CrashLoopBackOff, Completed) with Logs, Terminal, Stop and Delete. The
// lenses call the stable commands with plain arguments. Also keeps `podsmith.canRun` (editor title button)
// true while the active editor holds something to run.
import * as vscode from 'vscode';
import { LIMITS } from '../../engine/limits/table';
import type { PodStatus } from '../../engine/pods/types';
import { LOCAL_HOST } from '../engine/access';
import type { Ctx } from '../ctx';
import { COMMANDS } from '../commands/pod-commands';
import { planManifest, type ManifestPlan } from '../run/plan';
import { RUN_COMMAND, type RunArgs } from '../run/run-command';
import { LANGUAGES } from '../selector';
import { podSummary, podTone, type Tone } from '../tree/pod-text';

const TONE_ICON: Record<Tone, string> = { ok: 'pass-filled', busy: 'sync~spin', warn: 'warning', error: 'error', done: 'check', unknown: 'question' };
const SETTLE_MS = 250;

export const selector: vscode.DocumentSelector = LANGUAGES.flatMap((language) => [
  { scheme: 'file', language },
  { scheme: 'untitled', language },
]);

export class ManifestLens implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly plans = new Map<string, { version: number; plan: ManifestPlan | undefined }>();
  private readonly subs: vscode.Disposable[] = [];
  private pending?: NodeJS.Timeout;

  constructor(private readonly ctx: Ctx) {
    for (const store of ctx.engine.stores.values()) this.subs.push(store.onDidChange(() => this.refresh()));
    this.subs.push(vscode.workspace.onDidCloseTextDocument((d) => this.plans.delete(d.uri.toString())));
  }

  /** Pod events come in bursts (a start is several): one lens refresh per burst. */
  private refresh(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.changed.fire();
    }, SETTLE_MS);
  }

  plan(doc: vscode.TextDocument): ManifestPlan | undefined {
    const key = doc.uri.toString();
    const cached = this.plans.get(key);
    if (cached?.version === doc.version) return cached.plan;
    const text = doc.getText();
    const plan = Buffer.byteLength(text, 'utf8') > LIMITS.manifestBytes ? undefined : planManifest(text);
    this.plans.set(key, { version: doc.version, plan });
    return plan;
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const plan = this.plan(doc);
    if (!plan) return [];
    const store = this.ctx.engine.store(LOCAL_HOST);
    const lenses: vscode.CodeLens[] = [];
    for (const d of plan.runnable) {
      const at = new vscode.Range(d.range.start.line, 0, d.range.start.line, 0);
      const args: RunArgs = { uri: doc.uri, index: d.index };
      lenses.push(new vscode.CodeLens(at, { title: d.kind === 'Pod' ? '$(play) Run' : `$(play) Run as pod`, command: RUN_COMMAND, arguments: [args], tooltip: `Run ${d.name ?? 'this pod'} on the Podsmith engine` }));
      const pod: PodStatus | undefined = d.name ? store.byName(d.name, d.namespace) : undefined;
      if (!pod) continue;
      const ref = { host: LOCAL_HOST, pod: pod.name };
      const lens = (title: string, command: string, tooltip: string) => lenses.push(new vscode.CodeLens(at, { title, command, arguments: [ref], tooltip }));
      lens(`$(${TONE_ICON[podTone(pod)]}) ${podSummary(pod)}`, COMMANDS.describe, `Describe pod ${pod.name}`);
      lens('Logs', 'podsmith.pod.logs', `Open the logs of ${pod.name}`);
      if (pod.phase === 'Running') lens('Terminal', 'podsmith.pod.exec', `Open a terminal in ${pod.name}`);
      if (pod.phase === 'Running' || pod.phase === 'Pending') lens('Stop', COMMANDS.stop, `Stop pod ${pod.name}`);
      lens('Delete', COMMANDS.delete, `Delete pod ${pod.name}`);
    }
    return lenses;
  }

  dispose(): void {
    clearTimeout(this.pending);
    this.subs.forEach((s) => s.dispose());
    this.changed.dispose();
  }
}

export function registerLens(ctx: Ctx): ManifestLens {
  const lens = new ManifestLens(ctx);
  let timer: NodeJS.Timeout | undefined;
  const updateCanRun = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const doc = vscode.window.activeTextEditor?.document;
      const can = !!doc && vscode.languages.match(selector, doc) > 0 && (lens.plan(doc)?.runnable.length ?? 0) > 0;
      void vscode.commands.executeCommand('setContext', 'podsmith.canRun', can);
    }, 50);
  };
  updateCanRun();
  ctx.extension.subscriptions.push(
    lens,
    vscode.languages.registerCodeLensProvider(selector, lens),
    vscode.window.onDidChangeActiveTextEditor(updateCanRun),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document === vscode.window.activeTextEditor?.document) updateCanRun();
    }),
    { dispose: () => clearTimeout(timer) },
  );
  return lens;
}
