// Log tabs: read-only documents of the `podsmith-log` scheme that show a session's window.
//
// A TextDocumentContentProvider gives a tab its first text (and its text again when VS Code reopens it). After
// that, what changes in the window reaches the document as edits (a WorkspaceEdit: lines added at the bottom,
// lines cut at the top, an earlier page put in at the top), one batch at a time, the next only once VS Code has
// applied the last: each costs what changed, not the size of the tab. Measured against re-rendering through the
// provider (bench/editor-logs.ts, README "Editor logs"): the provider ships the whole text each time, and above
// 100 000 characters VS Code replaces the whole model, retokenizing it, so a busy log fell seconds behind.
//
// Edits have one cost: VS Code keeps each on the document's undo stack, and nothing but closing the document
// empties it (about 1 MB of editor memory per MB appended, measured). So once a document has taken edits of
// RECYCLE_WINDOWS times its window's size, the tab moves to a fresh document of the same log (a new generation
// of its address), shown where the old one was, and the old one is closed with its history: the editor holds
// at most a few windows' worth for a tab, however long it follows.
//
// Following: an editor that shows the last line when new lines land is scrolled to the new end; one the user
// scrolled up stays where it is. While someone reads above, the top is not cut until the window holds twice its
// limits (VS Code keeps the scroll offset, not the text, when lines above the view go); then the view is moved
// back onto the text it showed.
import * as vscode from 'vscode';
import type { DaemonClient } from '../../engine/client/daemon-client';
import { LogSession, type LogSpec } from './log-session';
import { LANGUAGE, SCHEME, specOf } from './log-uri';
import type { RenderOptions, WindowLimits } from './log-window';

export interface LogSettings {
  limits: WindowLimits;
  timestamps: boolean;
  pageLines: number;
}

interface Tab {
  /** The log's address without its generation: what commands and the session go by. */
  key: string;
  spec: LogSpec;
  session: LogSession;
  timestamps: boolean;
  /** The document shown now (`gen` in its query from the second generation on). */
  uri: vscode.Uri;
  gen: number;
  /** Characters sent as edits to this generation's document. */
  edited: number;
  /** The document holds the window as of the last sync (false until VS Code asked the provider). */
  synced: boolean;
  /** The next sync replaces the whole text (timestamps toggled). */
  full: boolean;
  syncing: boolean;
  dirty: boolean;
  timer: NodeJS.Timeout | undefined;
  lastSync: number;
  /** Seen in an editor tab: once no tab shows it any more, the session stops. */
  seenInTab: boolean;
}

/** While a reader is scrolled up, the window may grow to this many times its limits before its top is cut. */
const READER_SLACK = 2;
/** Syncs are at least this far apart: lines arriving meanwhile go in one edit. */
const MIN_INTERVAL_MS = 100;
/** Edits a document takes, in windows (maxChars), before the tab moves to a fresh one (its undo history goes with the old). */
export const RECYCLE_WINDOWS = 4;

export class LogDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  /** By key (see Tab.key), and by each generation's document address. */
  private readonly tabs = new Map<string, Tab>();
  private readonly byUri = new Map<string, Tab>();
  private readonly stateEmitter = new vscode.EventEmitter<void>();
  /** A session's state changed (CodeLens titles). */
  readonly onDidChangeState = this.stateEmitter.event;
  /** Per editor: did it show the last line at its last scroll? Absent means yes (a new editor follows). */
  private readonly atBottom = new WeakMap<vscode.TextEditor, boolean>();
  private readonly subscriptions: vscode.Disposable[] = [];
  /**
   * Each new tab (and each recycle) gets a document address of its own: VS Code keeps a closed tab's document
   * for a while and opens it again without asking the provider, with its old text. Seeded with the time, so a
   * restarted extension does not reuse an address its predecessor left open.
   */
  private lastGeneration = Date.now();

  constructor(
    private readonly connect: (host: string) => Promise<DaemonClient>,
    private readonly settings: () => LogSettings,
  ) {
    this.subscriptions.push(
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.scrolled(e.textEditor)),
      // Not onDidCloseTextDocument to stop sessions: setTextDocumentLanguage closes and reopens the document.
      vscode.window.tabGroups.onDidChangeTabs(() => this.dropClosed()),
      // A sync that found the document not open yet waits for this. (A document VS Code really closed gets the
      // whole window from the provider when it opens again; setTextDocumentLanguage closes and reopens it
      // without asking, its text unchanged.)
      vscode.workspace.onDidOpenTextDocument((d) => {
        const tab = this.byUri.get(d.uri.toString());
        if (tab) this.schedule(tab);
      }),
    );
  }

  /** The tab of a log address: a document's (any generation), or the address without one. */
  private find(uri: vscode.Uri): Tab | undefined {
    return this.byUri.get(uri.toString()) ?? this.tabs.get(baseKey(uri));
  }

  /** The session behind a log tab. */
  session(uri: vscode.Uri): LogSession | undefined {
    return this.find(uri)?.session;
  }

  timestamps(uri: vscode.Uri): boolean {
    return this.find(uri)?.timestamps ?? false;
  }

  /** The document a log tab shows now. */
  current(uri: vscode.Uri): vscode.Uri {
    return this.find(uri)?.uri ?? uri;
  }

  /**
   * Starts the session for `uri` (again, when its last one has ended) and resolves once its first lines are in;
   * the caller then shows the document. A live session of the same address is reused.
   */
  async start(uri: vscode.Uri, spec: LogSpec, timestamps?: boolean): Promise<LogSession> {
    const key = baseKey(uri);
    const old = this.tabs.get(key);
    if (old && old.session.state.kind !== 'ended') {
      if (timestamps !== undefined) this.setTimestamps(old.uri, timestamps);
      return old.session;
    }
    let tab: Tab;
    if (old) {
      // Same tab, new session: its document gets the new window as a whole.
      old.session.dispose();
      tab = old;
      tab.session = this.newSession(tab);
      tab.full = true;
    } else tab = this.create(withGeneration(vscode.Uri.parse(key), ++this.lastGeneration), spec, timestamps);
    if (timestamps !== undefined) tab.timestamps = timestamps;
    void tab.session.start();
    await tab.session.ready;
    this.markDirty(tab);
    return tab.session;
  }

  provideTextDocumentContent(uri: vscode.Uri): Promise<string> | string {
    let tab = this.byUri.get(uri.toString());
    if (!tab) {
      // Another document of a live log (an address opened by hand): its current window, as a snapshot.
      const live = this.tabs.get(baseKey(uri));
      if (live) return live.session.ready.then(() => live.session.window.render(this.opts(live)));
      // A tab VS Code restored, or an address opened by hand: its options are in it.
      const spec = specOf(uri);
      if (!spec) return `Not a Podsmith log address: ${uri.toString()}`;
      tab = this.create(uri, spec);
      void tab.session.start();
    }
    return this.whole(tab, uri);
  }

  setTimestamps(uri: vscode.Uri, on: boolean): void {
    const tab = this.find(uri);
    if (!tab || tab.timestamps === on) return;
    tab.timestamps = on;
    tab.full = true;
    this.markDirty(tab);
    this.stateEmitter.fire();
  }

  async loadEarlier(uri: vscode.Uri): Promise<number> {
    const tab = this.find(uri);
    if (!tab) return 0;
    const n = await tab.session.loadEarlier(this.settings().pageLines);
    this.stateEmitter.fire();
    return n;
  }

  /** Opens the log's current document in its language and shows it, scrolled to the end. */
  async show(uri: vscode.Uri, column?: vscode.ViewColumn, preserveFocus = false): Promise<vscode.TextEditor> {
    let doc = await vscode.workspace.openTextDocument(this.current(uri));
    if (doc.languageId !== LANGUAGE) doc = await vscode.languages.setTextDocumentLanguage(doc, LANGUAGE);
    const editor = await vscode.window.showTextDocument(doc, { preview: false, preserveFocus, ...(column ? { viewColumn: column } : {}) });
    this.toEnd(editor);
    return editor;
  }

  /** Forgets a session that was started but is not shown (it could not read anything). */
  discard(uri: vscode.Uri): void {
    const tab = this.find(uri);
    if (tab) this.drop(tab);
  }

  dispose(): void {
    for (const tab of [...this.tabs.values()]) this.drop(tab);
    for (const s of this.subscriptions) s.dispose();
    this.stateEmitter.dispose();
  }

  private create(uri: vscode.Uri, spec: LogSpec, timestamps?: boolean): Tab {
    const tab: Tab = {
      key: baseKey(uri),
      spec,
      timestamps: timestamps ?? this.settings().timestamps,
      uri,
      gen: generation(uri),
      edited: 0,
      synced: false,
      full: false,
      syncing: false,
      dirty: false,
      timer: undefined,
      lastSync: 0,
      seenInTab: false,
      session: undefined as unknown as LogSession,
    };
    tab.session = this.newSession(tab);
    this.tabs.set(tab.key, tab);
    this.byUri.set(uri.toString(), tab);
    return tab;
  }

  private newSession(tab: Tab): LogSession {
    let lastKind = 'loading';
    const session: LogSession = new LogSession(tab.spec, this.settings().limits, () => this.connect(tab.spec.host), () => {
      if (tab.session !== session) return;
      if (session.state.kind !== lastKind) {
        lastKind = session.state.kind;
        this.stateEmitter.fire();
      }
      this.markDirty(tab);
    });
    return session;
  }

  private opts(tab: Tab): RenderOptions {
    const prefixes = tab.session.prefixes;
    return { timestamps: tab.timestamps, ...(prefixes ? { prefixes } : {}) };
  }

  /** The provider's answer: the whole window, which the document holds from then on. */
  private async whole(tab: Tab, uri: vscode.Uri): Promise<string> {
    await tab.session.ready;
    tab.session.window.take();
    if (uri.toString() === tab.uri.toString()) {
      tab.synced = true;
      tab.full = false;
    }
    return tab.session.window.render(this.opts(tab));
  }

  private markDirty(tab: Tab): void {
    tab.dirty = true;
    this.schedule(tab);
  }

  private schedule(tab: Tab): void {
    if (tab.syncing || tab.timer || !tab.dirty) return;
    const wait = Math.max(0, tab.lastSync + MIN_INTERVAL_MS - Date.now());
    tab.timer = setTimeout(() => {
      tab.timer = undefined;
      void this.sync(tab);
    }, wait);
  }

  /** Brings the document up to the window with one edit, then scrolls its followers. */
  private async sync(tab: Tab): Promise<void> {
    if (!this.tabs.has(tab.key) || !tab.dirty) return;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === tab.uri.toString());
    // Not open (yet, or any more): the provider gives the whole window when VS Code opens it.
    if (!doc) return;
    // Open without having asked the provider (a restarted extension meeting a document its predecessor left
    // open): its text is not the window's. One edit replaces it.
    if (!tab.synced) {
      tab.synced = true;
      tab.full = true;
    }
    tab.syncing = true;
    tab.dirty = false;
    try {
      const window = tab.session.window;
      const before = window.length;
      const editors = this.editorsOf(doc.uri);
      // Taken before the edit: the view's own moves during it (a whole replace scrolls to the top) say nothing.
      const readers = editors.filter((e) => this.atBottom.get(e) === false);
      const followers = editors.filter((e) => !readers.includes(e));
      const tops = new Map(readers.map((e) => [e, e.visibleRanges[0]?.start.line ?? 0] as const));
      const change = window.take(readers.length > 0 ? READER_SLACK : 1);
      const opts = this.opts(tab);
      const edit = new vscode.WorkspaceEdit();
      let chars = 0;
      const whole = tab.full || change.removedTop >= before + change.addedTop || (change.removedTop > 0 && change.addedTop > 0);
      if (whole) {
        const text = window.render(opts);
        tab.full = false;
        if (text === doc.getText()) return;
        edit.replace(doc.uri, new vscode.Range(0, 0, doc.lineCount, 0), text);
        chars += text.length;
      } else {
        const empty = doc.lineCount === 1 && doc.lineAt(0).text === '';
        if (change.removedTop > 0) edit.delete(doc.uri, new vscode.Range(0, 0, change.removedTop, 0));
        if (change.addedTop > 0) {
          const text = window.renderRange(0, change.addedTop, opts) + (empty ? '' : '\n');
          edit.insert(doc.uri, new vscode.Position(0, 0), text);
          chars += text.length;
        }
        if (change.added > 0) {
          const text = (empty && change.addedTop === 0 ? '' : '\n') + window.renderRange(window.length - change.added, window.length, opts);
          edit.insert(doc.uri, doc.lineAt(doc.lineCount - 1).range.end, text);
          chars += text.length;
        }
      }
      if (edit.size === 0) return;
      if (!(await vscode.workspace.applyEdit(edit))) {
        // The document changed under the edit (VS Code reopened it): it is no longer what the window says.
        tab.synced = false;
        return;
      }
      tab.edited += chars;
      for (const editor of followers) this.toEnd(editor);
      for (const editor of readers) {
        if (change.removedTop || change.addedTop) this.keepPlace(editor, tops.get(editor) ?? 0, change.addedTop - change.removedTop);
        this.atBottom.set(editor, false);
      }
      if (tab.edited > RECYCLE_WINDOWS * window.limits.maxChars) await this.recycle(tab);
    } finally {
      tab.syncing = false;
      tab.lastSync = Date.now();
      this.schedule(tab);
    }
  }

  /** Moves the tab to a fresh document of the same log, where the old one was shown, and closes the old one. */
  private async recycle(tab: Tab): Promise<void> {
    const old = tab.uri;
    const shown = this.editorsOf(old).map((e) => ({ column: e.viewColumn, follow: this.atBottom.get(e) !== false, top: e.visibleRanges[0]?.start.line ?? 0, active: e === vscode.window.activeTextEditor }));
    tab.gen = ++this.lastGeneration;
    tab.uri = withGeneration(old, tab.gen);
    tab.edited = 0;
    tab.synced = false;
    this.byUri.set(tab.uri.toString(), tab);
    for (const s of shown) await this.show(tab.uri, s.column, !s.active);
    const oldTabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === old.toString());
    await vscode.window.tabGroups.close(oldTabs, true);
    this.byUri.delete(old.toString());
    // Closing the old tab lays the group out again (with new editor objects): place the views once that is done.
    for (const editor of this.editorsOf(tab.uri)) {
      const was = shown.find((s) => s.column === editor.viewColumn);
      if (!was || was.follow) this.toEnd(editor);
      else {
        this.keepPlace(editor, was.top, 0);
        this.atBottom.set(editor, false);
      }
    }
  }

  /** Puts the text that was at line `top` back at the top of the view, after `shift` lines came or went above it. */
  private keepPlace(editor: vscode.TextEditor, top: number, shift: number): void {
    const height = Math.max(1, (editor.visibleRanges[0]?.end.line ?? top) - (editor.visibleRanges[0]?.start.line ?? top));
    const line = Math.max(0, top + shift);
    // A range as tall as the view, below it: the smallest scroll that shows it puts its first line at the top.
    const end = Math.min(editor.document.lineCount - 1, line + height);
    editor.revealRange(new vscode.Range(line, 0, end, 0), vscode.TextEditorRevealType.Default);
  }

  private scrolled(editor: vscode.TextEditor): void {
    if (editor.document.uri.scheme !== SCHEME) return;
    const last = editor.visibleRanges[editor.visibleRanges.length - 1]?.end.line ?? 0;
    this.atBottom.set(editor, last >= editor.document.lineCount - 2);
  }

  private toEnd(editor: vscode.TextEditor): void {
    const last = Math.max(0, editor.document.lineCount - 1);
    const end = new vscode.Position(last, 0);
    editor.selection = new vscode.Selection(end, end);
    editor.revealRange(new vscode.Range(end, end), vscode.TextEditorRevealType.Default);
    this.atBottom.set(editor, true);
  }

  private editorsOf(uri: vscode.Uri): vscode.TextEditor[] {
    const key = uri.toString();
    return vscode.window.visibleTextEditors.filter((ed) => ed.document.uri.toString() === key);
  }

  /** Sessions whose every tab is closed stop (their streams close, the daemon stops reading). */
  private dropClosed(): void {
    const open = new Set<string>();
    for (const group of vscode.window.tabGroups.all) {
      for (const t of group.tabs) if (t.input instanceof vscode.TabInputText && t.input.uri.scheme === SCHEME) open.add(t.input.uri.toString());
    }
    for (const tab of [...this.tabs.values()]) {
      if (open.has(tab.uri.toString())) tab.seenInTab = true;
      else if (tab.seenInTab && !tab.syncing) this.drop(tab);
    }
  }

  private drop(tab: Tab): void {
    if (this.tabs.get(tab.key) !== tab) return;
    this.tabs.delete(tab.key);
    for (const [k, t] of [...this.byUri]) if (t === tab) this.byUri.delete(k);
    clearTimeout(tab.timer);
    tab.session.dispose();
  }
}

/** The address without its generation. */
function baseKey(uri: vscode.Uri): string {
  const q = new URLSearchParams(uri.query);
  q.delete('gen');
  return uri.with({ query: q.toString() }).toString();
}

function generation(uri: vscode.Uri): number {
  return Number(new URLSearchParams(uri.query).get('gen') ?? 0) || 0;
}

function withGeneration(uri: vscode.Uri, gen: number): vscode.Uri {
  const q = new URLSearchParams(uri.query);
  q.set('gen', String(gen));
  return uri.with({ query: q.toString() });
}
