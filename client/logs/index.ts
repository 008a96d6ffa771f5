// "Show Logs" (`podsmith.pod.logs`): a container's log (or all of a pod's, interleaved by time) in an editor tab
// with the log grammar, following as lines arrive. The argument is a tree item or `{ host?, pod, container?,
// follow?, tail?, since?, timestamps?, previous?, allContainers? }`; without a container the user picks one (or
// all) when the pod has several. In the tab: a CodeLens line with the state, "Load earlier lines", timestamps
// and the options; the same as commands in the editor title.
import * as vscode from 'vscode';
import { parseDuration } from '../../engine/cli/format/duration';
import type { EngineAccess } from '../engine/access';
import { ALL_CONTAINERS, pickContainer, pickPod } from '../pick-container';
import { LogDocuments, type LogSettings } from './log-documents';
import type { LogSpec } from './log-session';
import { logUri, SCHEME, specOf } from './log-uri';

/**
 * Characters a window may hold: room for lines of 400 characters on average, and never more than 8 million, well
 * under the editor's limits (tokenization stops at 20 MB, extensions see no document over 50 MB).
 */
const CHARS_PER_LINE = 400;
const MAX_CHARS = 8_000_000;

export interface LogOptions {
  follow?: boolean;
  tail?: number;
  /** Seconds, or a duration such as "5m" or "1h30m". */
  since?: number | string;
  timestamps?: boolean;
  previous?: boolean;
  allContainers?: boolean;
}

function settings(): LogSettings & { tail: number; follow: boolean } {
  const cfg = vscode.workspace.getConfiguration('podsmith.logs');
  const maxLines = Math.max(100, Math.floor(cfg.get<number>('maxLines') ?? 20_000));
  const tail = Math.min(maxLines, Math.max(0, Math.floor(cfg.get<number>('tail') ?? 1000)));
  return {
    limits: { maxLines, maxChars: Math.min(MAX_CHARS, maxLines * CHARS_PER_LINE) },
    timestamps: cfg.get<boolean>('timestamps') ?? false,
    pageLines: Math.max(100, tail),
    tail,
    follow: cfg.get<boolean>('follow') ?? true,
  };
}

export function register(context: vscode.ExtensionContext, engine: EngineAccess): void {
  const docs = new LogDocuments((host) => engine.client(host), settings);
  const lenses = new LogLenses(docs);
  context.subscriptions.push(
    docs,
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, docs),
    vscode.languages.registerCodeLensProvider({ scheme: SCHEME }, lenses),
    vscode.commands.registerCommand('podsmith.pod.logs', (arg?: unknown) => showLogs(engine, docs, arg)),
    vscode.commands.registerCommand('podsmith.logs.loadEarlier', (uri?: vscode.Uri) => withTab(uri, (u) => docs.loadEarlier(u))),
    vscode.commands.registerCommand('podsmith.logs.toggleTimestamps', (uri?: vscode.Uri) => withTab(uri, (u) => docs.setTimestamps(u, !docs.timestamps(u)))),
    vscode.commands.registerCommand('podsmith.logs.reopen', (uri?: vscode.Uri) => withTab(uri, (u) => reopen(docs, u, specOf(u)!))),
    vscode.commands.registerCommand('podsmith.logs.options', (uri?: vscode.Uri) => withTab(uri, (u) => options(engine, docs, u))),
  );
}

/** Runs `fn` on the log tab given, or the active one. */
function withTab<T>(uri: vscode.Uri | undefined, fn: (uri: vscode.Uri) => T): T | undefined {
  const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
  if (!target || target.scheme !== SCHEME || !specOf(target)) {
    void vscode.window.showInformationMessage('Open a Podsmith log tab first (Podsmith: Show Logs).');
    return undefined;
  }
  return fn(target);
}

function sinceSeconds(since: LogOptions['since']): number | undefined {
  if (since === undefined || since === '') return undefined;
  if (typeof since === 'number') return Number.isFinite(since) && since >= 0 ? Math.ceil(since) : undefined;
  return parseDuration(since);
}

async function showLogs(engine: EngineAccess, docs: LogDocuments, arg: unknown): Promise<vscode.TextEditor | undefined> {
  let ref = arg === undefined ? undefined : engine.refOf(arg);
  if (arg !== undefined && !ref) {
    void vscode.window.showErrorMessage('Show Logs needs a pod: { pod: "name", container?: "name" }, or a pod or container of the Podsmith view.');
    return undefined;
  }
  const opts = (typeof arg === 'object' && arg !== null ? arg : {}) as LogOptions;
  const since = sinceSeconds(opts.since);
  if (opts.since !== undefined && since === undefined) {
    void vscode.window.showErrorMessage(`Show Logs: since takes seconds or a duration like 30s, 5m or 1h30m, not ${JSON.stringify(opts.since)}.`);
    return undefined;
  }
  const s = settings();
  try {
    if (!ref) {
      ref = await pickPod(engine, 'Show Logs');
      if (!ref) return undefined;
    }
    const client = await engine.client(ref.host);
    let containers: string[];
    let all = !!opts.allContainers && !opts.previous;
    if (all) containers = await allContainers(engine, ref.host, ref.pod);
    else if (ref.container) containers = [ref.container];
    else {
      const picked = await pickContainer(client, ref.pod, { title: `Show Logs of ${ref.pod}`, init: 'all', ...(opts.previous ? {} : { allLabel: 'All containers, interleaved by time' }) });
      if (picked === undefined) return undefined;
      all = picked === ALL_CONTAINERS;
      containers = all ? await allContainers(engine, ref.host, ref.pod) : [picked as string];
    }
    const previous = !!opts.previous;
    const spec: LogSpec = {
      host: ref.host,
      pod: ref.pod,
      containers,
      all,
      follow: !previous && (opts.follow ?? s.follow),
      tail: Math.min(s.limits.maxLines, Math.max(0, Math.floor(opts.tail ?? s.tail))),
      ...(since !== undefined ? { sinceSeconds: since } : {}),
      previous,
    };
    return await open(docs, spec, opts.timestamps);
  } catch (err) {
    void vscode.window.showErrorMessage(`Cannot show the logs${ref ? ` of pod ${ref.pod}` : ''}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

async function allContainers(engine: EngineAccess, host: string, pod: string): Promise<string[]> {
  const status = await (await engine.client(host)).getPod(pod);
  return [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])].map((c) => c.name);
}

/** Starts (or finds) the session, then shows its tab; a log that cannot be read at all is an error message. */
async function open(docs: LogDocuments, spec: LogSpec, timestamps?: boolean): Promise<vscode.TextEditor | undefined> {
  const uri = logUri(spec);
  const session = await docs.start(uri, spec, timestamps);
  const failed = session.failedAtStart;
  if (failed) {
    docs.discard(uri);
    throw new Error(failed);
  }
  return docs.show(uri);
}

async function reopen(docs: LogDocuments, uri: vscode.Uri, spec: LogSpec): Promise<void> {
  await docs.start(uri, spec);
  await docs.show(uri);
}

/** The active tab's options, one change at a time; a change opens the logs anew in place of the tab. */
async function options(engine: EngineAccess, docs: LogDocuments, uri: vscode.Uri): Promise<void> {
  const spec = specOf(uri)!;
  const s = settings();
  type Item = vscode.QuickPickItem & { apply: () => Promise<LogSpec | undefined> | LogSpec | undefined };
  const onOff = (b: boolean): string => (b ? 'on' : 'off');
  const items: Item[] = [
    { label: 'Timestamps', description: onOff(docs.timestamps(uri)), apply: () => (docs.setTimestamps(uri, !docs.timestamps(uri)), undefined) },
    ...(spec.previous ? [] : [{ label: 'Follow', description: onOff(spec.follow), apply: () => ({ ...spec, follow: !spec.follow }) }]),
    {
      label: 'Tail',
      description: `${spec.tail} lines${spec.all ? ' per container' : ''}`,
      apply: async () => {
        const v = await vscode.window.showInputBox({ title: 'Lines to start with', value: String(spec.tail), validateInput: (t) => (/^\d+$/.test(t.trim()) ? undefined : 'A number of lines') });
        return v === undefined ? undefined : { ...spec, tail: Math.min(s.limits.maxLines, Number(v.trim())) };
      },
    },
    {
      label: 'Since',
      description: spec.sinceSeconds === undefined ? 'the whole log' : `${spec.sinceSeconds} s before opening`,
      apply: async () => {
        const v = await vscode.window.showInputBox({ title: 'Only lines newer than (e.g. 30s, 5m, 1h30m; empty: all)', value: '', validateInput: (t) => (t.trim() === '' || parseDuration(t.trim()) !== undefined ? undefined : 'A duration like 30s, 5m or 1h30m') });
        if (v === undefined) return undefined;
        const { sinceSeconds: _drop, ...rest } = spec;
        const secs = parseDuration(v.trim());
        return secs === undefined ? rest : { ...rest, sinceSeconds: secs };
      },
    },
  ];
  if (!spec.all) items.push({ label: 'Previous instance', description: onOff(spec.previous), apply: () => ({ ...spec, previous: !spec.previous, follow: spec.previous && s.follow }) });
  if (spec.all) {
    items.push({
      label: 'One container…',
      apply: async () => {
        const picked = await vscode.window.showQuickPick(spec.containers, { title: 'Container' });
        return picked ? { ...spec, all: false, containers: [picked] } : undefined;
      },
    });
  } else if (!spec.previous) {
    items.push({ label: 'All containers, interleaved by time', apply: async () => ({ ...spec, all: true, containers: await allContainers(engine, spec.host, spec.pod) }) });
  }
  const picked = await vscode.window.showQuickPick(items, { title: `Log options: ${spec.pod}` });
  if (!picked) return;
  try {
    const next = await picked.apply();
    if (!next) return;
    const shown = docs.current(uri).toString();
    const old = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === shown);
    await open(docs, next, docs.timestamps(uri));
    await vscode.window.tabGroups.close(old);
  } catch (err) {
    void vscode.window.showErrorMessage(`Cannot show the logs of pod ${spec.pod}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The line above the log: its state, earlier lines, timestamps, options. */
class LogLenses implements vscode.CodeLensProvider {
  readonly onDidChangeCodeLenses: vscode.Event<void>;

  constructor(private readonly docs: LogDocuments) {
    this.onDidChangeCodeLenses = docs.onDidChangeState;
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const session = this.docs.session(doc.uri);
    if (!session) return [];
    const at = new vscode.Range(0, 0, 0, 0);
    const lens = (title: string, command = '', args: unknown[] = []): vscode.CodeLens => new vscode.CodeLens(at, { title, command, arguments: args });
    const out: vscode.CodeLens[] = [];
    const st = session.state;
    if (st.kind === 'loading') out.push(lens('$(sync~spin) Loading'));
    else if (st.kind === 'following') out.push(lens('$(eye) Following'));
    else if (st.kind === 'complete') out.push(lens('$(eye-closed) Not following'));
    else out.push(lens(`${st.failed ? '$(error)' : '$(debug-stop)'} Ended`), lens('$(refresh) Reopen', 'podsmith.logs.reopen', [doc.uri]));
    if (session.windowFull) out.push(lens(`$(info) This tab holds at most ${session.window.limits.maxLines} lines (podsmith.logs.maxLines)`));
    else if (session.mayHaveEarlier) out.push(lens(`$(arrow-up) Load ${settings().pageLines} earlier lines`, 'podsmith.logs.loadEarlier', [doc.uri]));
    out.push(lens(`Timestamps: ${this.docs.timestamps(doc.uri) ? 'on' : 'off'}`, 'podsmith.logs.toggleTimestamps', [doc.uri]));
    out.push(lens('Options…', 'podsmith.logs.options', [doc.uri]));
    return out;
  }
}
