// `podsmith.pod.run`: runs what `podsmith run -f` runs, from the editor. Each CodeLens runs its own document;
// a file (explorer, editor title, palette, active editor) runs every Pod and workload in it. The engine's
// admission (the same linter as the editor's) refuses errors, and the editor says so and opens Problems; an
// existing pod can be replaced (only a manifest the engine admits replaces anything); image pulls show
// bytes in a notification whose Cancel removes the pod being created; a failed run puts the engine's error
// on the manifest line it names.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import { DaemonError, type DaemonClient } from '../../engine/client/daemon-client';
import { podStatusText } from '../../engine/cli/format/pod-table';
import { PodError, type PodEvent, type PodStatus } from '../../engine/pods/types';
import { LOCAL_HOST } from '../engine/access';
import type { Ctx } from '../ctx';
import { failureSpots } from './failure-location';
import { planManifest, type ManifestPlan, type RunnableDoc } from './plan';
import { PullTally } from './pull-progress';

export const RUN_COMMAND = 'podsmith.pod.run';

/** What `podsmith.pod.run` accepts besides a Uri: a document of a file, and whether to replace an existing pod. */
export interface RunArgs {
  uri: vscode.Uri | string;
  /** Only this YAML document (a CodeLens); default every Pod and workload of the file. */
  index?: number;
  /** Replace a pod of the same name without asking (default: ask). */
  replace?: boolean;
  /** The host to run it on (default this machine, "local"). */
  host?: string;
}

export interface RunResult {
  uri: string;
  pod?: string;
  outcome: 'running' | 'failed' | 'blocked' | 'cancelled' | 'skipped';
  /** The pod's status text on success (Running, Completed, ...). */
  status?: string;
  error?: string;
  code?: string;
}

interface Job {
  uri: vscode.Uri;
  text: string;
  fileName: string;
  plan: ManifestPlan;
  doc: RunnableDoc;
}

function isRunArgs(v: unknown): v is RunArgs {
  return typeof v === 'object' && v !== null && 'uri' in v && (typeof (v as RunArgs).uri === 'string' || (v as RunArgs).uri instanceof vscode.Uri);
}

/** Command arguments to targets: (Uri, Uri[]) from the explorer, RunArgs from a CodeLens or a caller, none: the active editor. */
function targetsOf(arg: unknown, more: unknown): { uri: vscode.Uri; index?: number; replace?: boolean; host?: string }[] {
  if (arg instanceof vscode.Uri) {
    const all = Array.isArray(more) && more.every((u) => u instanceof vscode.Uri) && more.length ? (more as vscode.Uri[]) : [arg];
    return all.map((uri) => ({ uri }));
  }
  if (isRunArgs(arg)) {
    const uri = typeof arg.uri === 'string' ? vscode.Uri.parse(arg.uri) : arg.uri;
    return [{ uri, index: typeof arg.index === 'number' ? arg.index : undefined, replace: arg.replace === true, host: typeof arg.host === 'string' && arg.host ? arg.host : undefined }];
  }
  const editor = vscode.window.activeTextEditor;
  return editor ? [{ uri: editor.document.uri }] : [];
}

export function registerRun(ctx: Ctx): void {
  ctx.extension.subscriptions.push(
    vscode.commands.registerCommand(RUN_COMMAND, (arg?: unknown, more?: unknown) => runCommand(ctx, arg, more)),
    // Positions of a failed run's diagnostics go stale with the first edit.
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length && ctx.runDiagnostics.has(e.document.uri)) ctx.runDiagnostics.delete(e.document.uri);
    }),
  );
}

async function runCommand(ctx: Ctx, arg: unknown, more: unknown): Promise<RunResult[]> {
  const targets = targetsOf(arg, more);
  if (targets.length === 0) {
    void vscode.window.showInformationMessage('Open a pod manifest (a Pod or a workload in YAML or JSON) to run it.');
    return [];
  }
  const results: RunResult[] = [];
  for (const t of targets) results.push(...(await runFile(ctx, t.uri, { index: t.index, replace: t.replace, host: t.host })));
  return results;
}

/** The text as the editor holds it (unsaved edits included), so the run matches the CodeLens and diagnostics. */
async function readManifest(uri: vscode.Uri): Promise<{ text: string; fileName: string }> {
  const doc = await vscode.workspace.openTextDocument(uri);
  return { text: doc.getText(), fileName: uri.scheme === 'file' ? uri.fsPath : uri.path };
}

export interface RunFileOptions {
  index?: number;
  replace?: boolean;
  name?: string;
  recreate?: boolean;
  /** Where to run it (default this machine). */
  host?: string;
}

export async function runFile(ctx: Ctx, uri: vscode.Uri, opts: RunFileOptions): Promise<RunResult[]> {
  const key = uri.toString();
  let text: string;
  let fileName: string;
  try {
    ({ text, fileName } = await readManifest(uri));
  } catch (err) {
    void vscode.window.showErrorMessage(`Cannot read ${uri.fsPath || key}: ${(err as Error).message}`);
    return [{ uri: key, outcome: 'failed', error: (err as Error).message }];
  }
  const plan = planManifest(text);
  const chosen = plan ? choose(plan.runnable, opts) : [];
  if (!plan || !chosen.length) {
    const what = opts.name ? `no Pod or workload named "${opts.name}"` : 'no Pod or workload (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob)';
    void vscode.window.showErrorMessage(`${basename(fileName)} has ${what} to run.`);
    return [{ uri: key, outcome: 'failed', error: `${basename(fileName)} has ${what}` }];
  }

  ctx.runDiagnostics.delete(uri);
  const results: RunResult[] = [];
  for (const doc of chosen) {
    const r = await runJob(ctx, { uri, text, fileName, plan, doc }, opts);
    results.push(r);
    // The linter's errors concern the whole file: the other documents would be refused the same way.
    if (r.outcome === 'blocked') {
      for (const rest of chosen.slice(results.length)) results.push({ ...r, pod: rest.name });
      break;
    }
  }
  return results;
}

/** The documents to run: one (a CodeLens, or Restart's by name, preferring its old index), else all. */
function choose(runnable: RunnableDoc[], opts: { index?: number; name?: string }): RunnableDoc[] {
  if (opts.name !== undefined) {
    const named = runnable.filter((d) => d.name === opts.name);
    return named.filter((d) => d.index === opts.index).concat(named).slice(0, 1);
  }
  return opts.index === undefined ? runnable : runnable.filter((d) => d.index === opts.index);
}

async function runJob(ctx: Ctx, job: Job, opts: RunFileOptions): Promise<RunResult> {
  const host = opts.host ?? LOCAL_HOST;
  const key = job.uri.toString();
  const name = job.doc.name;
  if (!name) {
    const error = `the ${job.doc.kind} at line ${job.doc.range.start.line + 1} has no metadata.name`;
    void vscode.window.showErrorMessage(`Cannot run it: ${error}.`);
    return { uri: key, outcome: 'failed', error };
  }
  let client: DaemonClient;
  try {
    client = await ctx.engine.client(host);
  } catch (err) {
    showEngineError(ctx, err);
    return { uri: key, pod: name, outcome: 'failed', error: (err as Error).message };
  }

  // The engine admits (lints) before it claims the name, so a manifest with errors never replaces a pod: the
  // first attempt fails with INVALID, or with ALREADY_EXISTS once the manifest is fine.
  let attempt = await runOnce(ctx, client, job, name, host);
  if ('error' in attempt && attempt.error instanceof PodError && attempt.error.code === 'ALREADY_EXISTS') {
    const existing = await client.getPod(name).catch(() => undefined);
    // Gone meanwhile: nothing to replace, run again.
    let replace = opts.replace || opts.recreate || !existing;
    if (!replace && existing) {
      const choice = await vscode.window.showWarningMessage(`Pod ${name} already exists (${podStatusText(existing)}). Replace it?`, { modal: true }, 'Replace');
      replace = choice === 'Replace';
    }
    if (!replace) return { uri: key, pod: name, outcome: 'skipped' };
    try {
      // Restart stops the pod gracefully; Replace (a new version of the manifest) does not wait.
      if (existing) await client.deletePod({ pod: existing.uid, force: !opts.recreate });
    } catch (err) {
      if (!(err instanceof PodError && err.code === 'NOT_FOUND')) return fail(ctx, job, err);
    }
    attempt = await runOnce(ctx, client, job, name, host);
  }
  if ('cancelled' in attempt) return { uri: key, pod: name, outcome: 'cancelled' };
  if ('error' in attempt) return fail(ctx, job, attempt.error);

  const status = attempt.status;
  await ctx.sources.set(host, status.namespace, status.name, { uri: key, index: job.doc.index, name: status.name });
  const text = podStatusText(status);
  ctx.log(`pod/${status.name} ${text} (from ${job.fileName}${host === LOCAL_HOST ? '' : `, on ${host}`})`);
  vscode.window.setStatusBarMessage(`$(check) pod/${status.name} ${text}`, 5000);
  // What the pod does not get here (limits a rootless engine cannot enforce, no outbound network) is said once.
  for (const w of status.warnings ?? []) {
    ctx.log(`pod/${status.name}: ${w}`);
    if (/^limits not enforced|^no outbound network/.test(w)) void vscode.window.showWarningMessage(`Podsmith: pod/${status.name}: ${w}`);
  }
  return { uri: key, pod: status.name, outcome: 'running', status: text };
}

/** The Cancel handlers of the runs in progress (what the notification's Cancel button calls). */
const running = new Set<() => void>();

/** For tests: presses Cancel on every run in progress; returns how many there were. */
export function cancelRunsForTesting(): number {
  const all = [...running];
  all.forEach((cancel) => cancel());
  return all.length;
}

type Attempt = { status: PodStatus } | { error: unknown } | { cancelled: true };

/** One `pods/run` under a cancellable notification showing pull bytes; Cancel removes the pod being created. */
async function runOnce(ctx: Ctx, client: DaemonClient, job: Job, name: string, host: string): Promise<Attempt> {
  let cancelled = false;
  // Only the pod this run creates may be removed on Cancel (never an existing pod of the same name): its uid
  // comes with the run's own events, or with its result.
  let uid: string | undefined;
  const removeOurs = async (id: string): Promise<void> => {
    try {
      await client.deletePod({ pod: id, force: true });
    } catch (err) {
      if (!(err instanceof PodError && err.code === 'NOT_FOUND')) ctx.log(`cancelled run of ${name}: removing the pod failed: ${(err as Error).message}`);
    }
  };
  let result: Attempt;
  try {
    const status = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Podsmith: running ${name}${host === LOCAL_HOST ? '' : ` on ${host}`}`, cancellable: true },
      async (progress, token) => {
        const tally = new PullTally();
        const onEvent = (e: PodEvent): void => {
          if (e.type !== 'pull') uid ??= e.uid;
          if (e.type === 'pull') {
            tally.update(e.image, e.progress);
            progress.report({ message: tally.message(), increment: tally.increment() });
          } else if (e.type === 'container' && e.state === 'running') progress.report({ message: `container ${e.container} started` });
        };
        const onCancel = (): void => {
          if (cancelled) return;
          cancelled = true;
          progress.report({ message: 'cancelling: removing the pod' });
          // An engine that accepts a force delete during run cancels the run with it; one that answers BUSY
          // ("still being created") gets the delete once run returns (below).
          if (uid) void removeOurs(uid);
        };
        const cancel = token.onCancellationRequested(onCancel);
        running.add(onCancel);
        try {
          return await client.runPod({ manifest: job.text, fileName: job.fileName, podName: name }, onEvent);
        } finally {
          cancel.dispose();
          running.delete(onCancel);
        }
      },
    );
    result = { status };
    uid = status.uid;
  } catch (error) {
    result = { error };
  }
  if (!cancelled) return result;
  if (uid) await removeOurs(uid);
  ctx.log(`run of ${name} cancelled; the pod was removed`);
  void vscode.window.showInformationMessage(`Run of ${name} cancelled; the pod was removed.`);
  return { cancelled: true };
}

function fail(ctx: Ctx, job: Job, err: unknown): RunResult {
  const key = job.uri.toString();
  const name = job.doc.name!;
  if (!(err instanceof PodError)) {
    showEngineError(ctx, err);
    return { uri: key, pod: name, outcome: 'failed', error: (err as Error).message };
  }
  if (err.code === 'INVALID' && err.details?.findings?.length) return blocked(ctx, job, err);
  const doc = job.plan.documents[job.doc.index];
  const spots = doc ? failureSpots(job.plan.file, doc, err) : [];
  if (spots.length) {
    const diags = spots.map((s) => {
      const d = new vscode.Diagnostic(
        new vscode.Range(s.range.start.line, s.range.start.character, s.range.end.line, s.range.end.character),
        `pod ${name} failed to run: ${s.message}`,
        vscode.DiagnosticSeverity.Error,
      );
      d.source = 'podsmith run';
      d.code = err.code;
      return d;
    });
    ctx.runDiagnostics.set(job.uri, [...(ctx.runDiagnostics.get(job.uri) ?? []), ...diags]);
  }
  ctx.log(`run of ${name} (${job.fileName}) failed: ${details(err)}`);
  const buttons = [...(spots.length ? ['Show Problems'] : []), 'Show Output', ...(err.code === 'RUNTIME' ? ['Show Doctor Report'] : [])];
  void vscode.window.showErrorMessage(`Run of ${name} failed: ${err.message}`, ...buttons).then((choice) => {
    if (choice === 'Show Problems') void vscode.commands.executeCommand('workbench.actions.view.problems');
    else if (choice === 'Show Output') ctx.output.show(true);
    else if (choice === 'Show Doctor Report') void vscode.commands.executeCommand('podsmith.engine.doctor');
  });
  return { uri: key, pod: name, outcome: 'failed', error: err.message, code: err.code };
}

/** The linter's errors (the same validator the editor shows in Problems) refused the run. */
function blocked(ctx: Ctx, job: Job, err: PodError): RunResult {
  const findings = err.details?.findings ?? [];
  const first = findings[0];
  const message =
    `Cannot run ${basename(job.fileName)}: ${findings.length === 1 ? 'the manifest has an error' : `the manifest has ${findings.length} errors`}` +
    (first ? ` (line ${first.range.start.line + 1}: ${first.message})` : '');
  ctx.log(`${message}\n${details(err)}`);
  void vscode.window.showErrorMessage(message, 'Show Problems').then((choice) => {
    if (choice) void vscode.commands.executeCommand('workbench.actions.view.problems');
  });
  return { uri: job.uri.toString(), pod: job.doc.name, outcome: 'blocked', error: message, code: err.code };
}

/** The error with what the output channel should keep: the linter's findings, the failing container's last lines. */
function details(err: PodError): string {
  const lines = [err.message];
  for (const f of err.details?.findings ?? []) lines.push(`  ${f.range.start.line + 1}:${f.range.start.character + 1}: ${f.severity} [${f.rule}] ${f.message}`);
  const failure = err.details?.failure;
  if (failure?.lastLines.length) lines.push(`last output of container "${failure.container}":`, ...failure.lastLines.map((l) => `  | ${l}`));
  return lines.join('\n');
}

/** The engine could not be reached or failed outside any pod: say so, and offer the doctor's report. */
export function showEngineError(ctx: Ctx, err: unknown): void {
  const message = err instanceof DaemonError || err instanceof Error ? err.message : String(err);
  ctx.log(`engine error: ${message}`);
  void vscode.window.showErrorMessage(`Podsmith engine: ${message}`, 'Show Doctor Report', 'Show Output').then((choice) => {
    if (choice === 'Show Doctor Report') void vscode.commands.executeCommand('podsmith.engine.doctor');
    else if (choice === 'Show Output') ctx.output.show(true);
  });
}
