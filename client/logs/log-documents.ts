// Log tabs: read-only documents of the `podsmith-log` scheme whose text is a session's window.
//
// Why a TextDocumentContentProvider: VS Code applies a provider's new text to the open model as minimal edits
// (computed off the main thread) and without an undo history, so a tab followed for hours keeps no copy of
// what scrolled through it. Edits through a WorkspaceEdit, or a file system provider's reloads, push every
// appended line onto the model's undo stack, which then grows without bound. The window keeps each render
// bounded, renders are spaced out and never overlap (the next waits until VS Code applied the last one), and
// each appends in one batch.
//
// Following: an editor that shows the last line when new lines land is scrolled to the new end; one the user
// scrolled up stays where it is (cut lines at the top are made up for, so the text under the reader does not
// move).
import * as vscode from 'vscode';
import type { DaemonClient } from '../../engine/client/daemon-client';
import { LogSession, type LogSpec } from './log-session';
import { LANGUAGE, SCHEME, specOf } from './log-uri';
import type { WindowLimits } from './log-window';

export interface LogSettings {
  limits: WindowLimits;
  timestamps: boolean;
  pageLines: number;
}

interface Tab {
  uri: vscode.Uri;
  session: LogSession;
  timestamps: boolean;
  /** A render was asked for and VS Code has not applied it yet. */
  inFlight: boolean;
  dirty: boolean;
  timer: NodeJS.Timeout | undefined;
  lastRender: number;
  /** Lines cut at the top and added at the top by the last render. */
  change: { removedTop: number; addedTop: number };
  /** Where each editor's view started when the last render was asked for. */
  tops: Map<vscode.TextEditor, number>;
  /** Seen in an editor tab: once no tab shows it any more, the session stops. */
  seenInTab: boolean;
}

/** Renders are at least this far apart; longer for big windows (each render ships the window once). */
const MIN_INTERVAL_MS = 100;
const MS_PER_MILLION_CHARS = 60;
/** A render VS Code did not apply (its text was the same, or the tab is gone) stops blocking after this. */
const APPLY_TIMEOUT_MS = 2000;

export class LogDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly tabs = new Map<string, Tab>();
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  private readonly stateEmitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changeEmitter.event;
  /** A session's state changed (CodeLens titles). */
  readonly onDidChangeState = this.stateEmitter.event;
  /** Per editor: did it show the last line at its last scroll? Absent means yes (a new editor follows). */
  private readonly atBottom = new WeakMap<vscode.TextEditor, boolean>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly connect: (host: string) => Promise<DaemonClient>,
    private readonly settings: () => LogSettings,
  ) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeTextDocument((e) => this.applied(e)),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => this.scrolled(e.textEditor)),
      // Not onDidCloseTextDocument: setTextDocumentLanguage closes and reopens the document.
      vscode.window.tabGroups.onDidChangeTabs(() => this.dropClosed()),
    );
  }

  /** The session behind a log tab. */
  session(uri: vscode.Uri): LogSession | undefined {
    return this.tabs.get(uri.toString())?.session;
  }

  timestamps(uri: vscode.Uri): boolean {
    return this.tabs.get(uri.toString())?.timestamps ?? false;
  }

  /**
   * Starts the session for `uri` (again, when its last one has ended) and resolves once its first lines are in;
   * the caller then opens the document. A live session of the same address is reused.
   */
  async start(uri: vscode.Uri, spec: LogSpec): Promise<LogSession> {
    const key = uri.toString();
    const old = this.tabs.get(key);
    if (old && old.session.state.kind !== 'ended') return old.session;
    if (old) old.session.dispose();
    const tab = this.create(uri, spec, old?.timestamps);
    await tab.session.ready;
    // VS Code may still hold the document of a tab closed a moment ago, with an old session's text, and open
    // it without asking the provider: a render replaces that text (nothing happens when there is none).
    this.markDirty(tab);
    return tab.session;
  }

  provideTextDocumentContent(uri: vscode.Uri): Promise<string> | string {
    let tab = this.tabs.get(uri.toString());
    if (!tab) {
      // A tab VS Code restored, or an address opened by hand: its options are in it.
      const spec = specOf(uri);
      if (!spec) return `Not a Podsmith log address: ${uri.toString()}`;
      tab = this.create(uri, spec);
    }
    return this.render(tab);
  }

  setTimestamps(uri: vscode.Uri, on: boolean): void {
    const tab = this.tabs.get(uri.toString());
    if (!tab || tab.timestamps === on) return;
    tab.timestamps = on;
    this.markDirty(tab);
    this.stateEmitter.fire();
  }

  async loadEarlier(uri: vscode.Uri): Promise<number> {
    const tab = this.tabs.get(uri.toString());
    if (!tab) return 0;
    const n = await tab.session.loadEarlier(this.settings().pageLines);
    this.stateEmitter.fire();
    return n;
  }

  /** Forgets a session that was started but is not shown (it could not read anything). */
  discard(uri: vscode.Uri): void {
    this.drop(uri.toString());
  }

  /** Opens the document of `uri` in its language and shows it, scrolled to the end. */
  async show(uri: vscode.Uri): Promise<vscode.TextEditor> {
    let doc = await vscode.workspace.openTextDocument(uri);
    if (doc.languageId !== LANGUAGE) doc = await vscode.languages.setTextDocumentLanguage(doc, LANGUAGE);
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    this.toEnd(editor);
    return editor;
  }

  dispose(): void {
    for (const tab of this.tabs.values()) this.stop(tab);
    this.tabs.clear();
    for (const s of this.subscriptions) s.dispose();
    this.changeEmitter.dispose();
    this.stateEmitter.dispose();
  }

  private create(uri: vscode.Uri, spec: LogSpec, timestamps?: boolean): Tab {
    const settings = this.settings();
    const tab: Tab = {
      uri,
      timestamps: timestamps ?? settings.timestamps,
      inFlight: false,
      dirty: false,
      timer: undefined,
      lastRender: 0,
      change: { removedTop: 0, addedTop: 0 },
      tops: new Map(),
      seenInTab: false,
      session: undefined as unknown as LogSession,
    };
    let lastKind = 'loading';
    tab.session = new LogSession(spec, settings.limits, () => this.connect(spec.host), () => {
      if (tab.session.state.kind !== lastKind) {
        lastKind = tab.session.state.kind;
        this.stateEmitter.fire();
      }
      this.markDirty(tab);
    });
    this.tabs.set(uri.toString(), tab);
    void tab.session.start();
    return tab;
  }

  private async render(tab: Tab): Promise<string> {
    await tab.session.ready;
    const change = tab.session.window.take();
    tab.change = { removedTop: change.removedTop, addedTop: change.addedTop };
    tab.dirty = false;
    return tab.session.window.render({ timestamps: tab.timestamps, ...(tab.session.prefixes ? { prefixes: tab.session.prefixes } : {}) });
  }

  private markDirty(tab: Tab): void {
    tab.dirty = true;
    this.schedule(tab);
  }

  private schedule(tab: Tab): void {
    if (tab.inFlight || tab.timer || !tab.dirty) return;
    const chars = tab.session.window.limits.maxChars; // an upper bound of what a render ships
    const interval = MIN_INTERVAL_MS + Math.min(chars, tab.session.window.length * 200) / 1e6 * MS_PER_MILLION_CHARS;
    const wait = Math.max(0, tab.lastRender + interval - Date.now());
    tab.timer = setTimeout(() => this.fire(tab), wait);
  }

  private fire(tab: Tab): void {
    tab.timer = undefined;
    if (!this.tabs.has(tab.uri.toString()) || !tab.dirty) return;
    tab.inFlight = true;
    tab.lastRender = Date.now();
    tab.tops.clear();
    for (const editor of this.editorsOf(tab.uri)) tab.tops.set(editor, editor.visibleRanges[0]?.start.line ?? 0);
    this.changeEmitter.fire(tab.uri);
    // No change event comes when the text did not change (or VS Code dropped the document): do not wait forever.
    tab.timer = setTimeout(() => {
      tab.timer = undefined;
      tab.inFlight = false;
      this.schedule(tab);
    }, APPLY_TIMEOUT_MS);
  }

  /** VS Code applied a render: scroll the followers, keep the others' place, and render what came since. */
  private applied(e: vscode.TextDocumentChangeEvent): void {
    if (e.document.uri.scheme !== SCHEME || e.contentChanges.length === 0) return;
    const tab = this.tabs.get(e.document.uri.toString());
    if (!tab) return;
    for (const editor of this.editorsOf(tab.uri)) {
      if (this.atBottom.get(editor) !== false) this.toEnd(editor);
      else {
        const top = tab.tops.get(editor);
        const { removedTop, addedTop } = tab.change;
        if (top !== undefined && (removedTop || addedTop)) {
          const line = Math.min(Math.max(0, top - removedTop + addedTop), e.document.lineCount - 1);
          editor.revealRange(new vscode.Range(line, 0, line, 0), vscode.TextEditorRevealType.AtTop);
        }
      }
    }
    if (tab.inFlight) {
      tab.inFlight = false;
      clearTimeout(tab.timer);
      tab.timer = undefined;
    }
    this.schedule(tab);
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
    for (const [key, tab] of [...this.tabs]) {
      if (open.has(key)) tab.seenInTab = true;
      else if (tab.seenInTab) this.drop(key);
    }
  }

  private drop(key: string): void {
    const tab = this.tabs.get(key);
    if (!tab) return;
    this.tabs.delete(key);
    this.stop(tab);
  }

  private stop(tab: Tab): void {
    clearTimeout(tab.timer);
    tab.session.dispose();
  }
}
