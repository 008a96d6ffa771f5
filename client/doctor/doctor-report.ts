// `podsmith doctor` from the editor: the same CLI bundle run under the engine's Node, its report shown as a
// read-only document. Run once in the background when the view first connects, so the view can say why pods
// cannot run here (missing runtime, no permission) before a run fails; linting never depends on it.
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import type { DoctorReport } from '../../engine/doctor/types';
import { engineEnv } from '../engine/engine-env';
import type { Ctx } from '../ctx';

export const DOCTOR_SCHEME = 'podsmith-doctor';
const REPORT_URI = vscode.Uri.from({ scheme: DOCTOR_SCHEME, path: '/Podsmith Doctor Report' });

/** Runs `podsmith doctor [-o json]` for the local engine's home; resolves with its output whatever its exit code. */
async function runDoctor(ctx: Ctx, json: boolean): Promise<string> {
  const conn = ctx.engine.local;
  const node = await conn.node();
  const args = [ctx.extension.asAbsolutePath('dist/podsmith.js'), 'doctor', ...(json ? ['-o', 'json'] : [])];
  return new Promise((resolve, reject) => {
    execFile(node.path, args, { env: { ...engineEnv(), PODSMITH_HOME: conn.home() }, timeout: 120_000, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      // Exit 1 means "something required is missing": the report is still the answer.
      if (stdout) resolve(stdout);
      else reject(new Error(stderr.trim() || (err?.message ?? 'podsmith doctor printed nothing')));
    });
  });
}

export class DoctorReports implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private text = '';
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  /** The background check's verdict: why pod-containers cannot run here, or undefined when it can (or unknown). */
  problem?: string;
  private checked?: string;

  constructor(private readonly ctx: Ctx) {}

  provideTextDocumentContent(): string {
    return this.text;
  }

  /** The `podsmith.engine.doctor` command: runs the doctor (on this machine, or a remote host of the tree) and opens its report. */
  async show(arg?: unknown): Promise<vscode.TextEditor | undefined> {
    const host = typeof arg === 'object' && arg !== null ? (arg as { host?: unknown }).host : undefined;
    const remote = typeof host === 'string' ? this.ctx.engine.remote(host) : undefined;
    if (remote) {
      try {
        this.text = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Podsmith: running doctor on ${remote.host}` }, () => remote.doctorText());
      } catch (err) {
        this.text = `podsmith doctor could not run on ${remote.host}: ${(err as Error).message}\n`;
      }
      this.text = `Host: ${remote.host} (${remote.describeLocation().split('\n')[0]})\nConnection: ${remote.state}${remote.error ? ` (${remote.error})` : ''}\n\n${this.text}`;
      this.changed.fire(REPORT_URI);
      return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(REPORT_URI), { preview: false });
    }
    try {
      this.text = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Podsmith: running doctor' }, () => runDoctor(this.ctx, false));
    } catch (err) {
      this.text = `podsmith doctor could not run: ${(err as Error).message}\n`;
    }
    const node = await this.ctx.engine.local.node().then((n) => `${n.path} (Node ${n.version}, from ${n.source})`, (e: Error) => `none: ${e.message}`);
    const conn = this.ctx.engine.local;
    this.text =
      `PODSMITH_HOME: ${conn.home()}\nNode for the engine: ${node}\nEngine: ${conn.state}${conn.error ? ` (${conn.error})` : ''}\n\n` + this.text;
    this.changed.fire(REPORT_URI);
    const doc = await vscode.workspace.openTextDocument(REPORT_URI);
    return vscode.window.showTextDocument(doc, { preview: false });
  }

  /** Once per home: the doctor's verdict in the background; fires onDidChangeProblem when there is one. */
  async check(onProblem: () => void): Promise<void> {
    const home = this.ctx.engine.local.home();
    if (this.checked === home) return;
    this.checked = home;
    try {
      const report = JSON.parse(await runDoctor(this.ctx, true)) as DoctorReport;
      const failing = report.checks.filter((c) => c.status === 'fail');
      this.problem = report.ok ? undefined : failing.map((c) => `${c.name}: ${c.detail}${c.fix ? ` (${c.fix})` : ''}`).join('; ') || 'a required check failed';
    } catch (err) {
      this.problem = undefined;
      this.ctx.log(`podsmith doctor (background check) failed: ${(err as Error).message}`);
    }
    if (this.problem) this.ctx.log(`this host cannot run pod-containers: ${this.problem}`);
    onProblem();
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function registerDoctor(ctx: Ctx): DoctorReports {
  const reports = new DoctorReports(ctx);
  ctx.extension.subscriptions.push(
    reports,
    vscode.workspace.registerTextDocumentContentProvider(DOCTOR_SCHEME, reports),
    vscode.commands.registerCommand('podsmith.engine.doctor', (arg?: unknown) => reports.show(arg)),
  );
  return reports;
}
