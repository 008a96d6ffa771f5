// Scenario (c): keystroke-to-diagnostics latency through real language servers over stdio. A small LSP client
// drives each server the way an editor does, and times didChange → the publishDiagnostics that shows the edit.
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type {
  ConfigurationItem,
  ConfigurationParams,
  Diagnostic,
  InitializeResult,
  PublishDiagnosticsParams,
  TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol';

export interface ServerSpec {
  name: string;
  command: string;
  args: string[];
  /** The answer to one item of a workspace/configuration request (null: "no such setting"). */
  configuration(item: ConfigurationItem): unknown;
}

interface Publish {
  at: number;
  params: PublishDiagnosticsParams;
}

/** Stops a wait that can never be satisfied from hanging the bench. */
const WAIT_LIMIT_MS = 15_000;

/** Every child this module started, so an exception or Ctrl-C never leaves a server behind. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class LspSession {
  private publishes: Publish[] = [];
  private waiters: (() => void)[] = [];
  private stderr = '';
  private exited = false;
  configurationRequests = 0;
  /** 1 full, 2 incremental (from the server's initialize result). */
  syncKind = 1;

  private constructor(
    readonly spec: ServerSpec,
    private readonly child: ChildProcess,
    private readonly conn: MessageConnection,
  ) {}

  static async start(spec: ServerSpec, rootUri: string): Promise<LspSession> {
    const child = spawn(spec.command, spec.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(child);
    const conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const session = new LspSession(spec, child, conn);
    child.stderr!.on('data', (chunk: Buffer) => {
      // Only the tail matters, for the error message if the server dies.
      session.stderr = (session.stderr + chunk.toString()).slice(-4000);
    });
    child.on('exit', () => {
      session.exited = true;
      live.delete(child);
      session.wake();
    });
    conn.onRequest('workspace/configuration', (params: ConfigurationParams) => {
      session.configurationRequests++;
      return params.items.map((item) => spec.configuration(item));
    });
    // Registrations, progress tokens, refresh requests: accept them all, as an editor would.
    conn.onRequest(() => null);
    conn.onNotification('textDocument/publishDiagnostics', (params: PublishDiagnosticsParams) => {
      session.publishes.push({ at: performance.now(), params });
      session.wake();
    });
    conn.onNotification(() => undefined);
    conn.listen();

    const result = await session.within(
      conn.sendRequest<InitializeResult>('initialize', {
        processId: process.pid,
        clientInfo: { name: 'podsmith-bench' },
        rootUri,
        workspaceFolders: [{ uri: rootUri, name: 'bench' }],
        capabilities: {
          workspace: { configuration: true, workspaceFolders: true, didChangeConfiguration: { dynamicRegistration: false } },
          textDocument: {
            synchronization: { dynamicRegistration: false, didSave: false, willSave: false },
            publishDiagnostics: { versionSupport: true, relatedInformation: true },
          },
        },
      }),
      'initialize',
    );
    const sync = result.capabilities.textDocumentSync;
    session.syncKind = typeof sync === 'number' ? sync : (sync?.change ?? 1);
    await conn.sendNotification('initialized', {});
    // Some servers fetch settings right after `initialized`; let that round trip finish before opening files.
    await session.quiet(300, 3000);
    return session;
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  private async within<T>(p: Promise<T>, what: string, ms = WAIT_LIMIT_MS): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(this.failure(`no answer to ${what} within ${ms} ms`))), ms);
    });
    try {
      return await Promise.race([p, limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  private failure(what: string): string {
    const tail = this.stderr.trim() ? `\n--- ${this.spec.name} stderr (tail) ---\n${this.stderr.trim()}` : '';
    return `${this.spec.name}: ${what}${this.exited ? ' (the server exited)' : ''}${tail}`;
  }

  /** Waits until no diagnostics arrived for `idleMs`, at most `maxMs` in all. */
  async quiet(idleMs: number, maxMs: number): Promise<void> {
    const end = performance.now() + maxMs;
    let seen = this.publishes.length;
    let configs = this.configurationRequests;
    while (performance.now() < end) {
      await sleep(idleMs);
      if (this.publishes.length === seen && this.configurationRequests === configs) return;
      seen = this.publishes.length;
      configs = this.configurationRequests;
    }
  }

  async open(uri: string, text: string, languageId = 'yaml'): Promise<void> {
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
  }

  /**
   * Sends one change and returns the moment it was handed to the server. The change goes as an incremental
   * edit when the server accepts those, as the whole new text otherwise.
   */
  async change(uri: string, version: number, edit: TextDocumentContentChangeEvent, fullText: string): Promise<number> {
    const contentChanges = this.syncKind === 2 ? [edit] : [{ text: fullText }];
    const t0 = performance.now();
    await this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges });
    return t0;
  }

  /**
   * The first diagnostics for `uri` published at or after `since` that `accept` agrees with (a publish tagged with
   * an older version, or showing a state the edit has not reached yet, is skipped). Counts what it skipped.
   */
  async diagnostics(
    uri: string,
    since: number,
    accept: (p: PublishDiagnosticsParams) => boolean,
    minVersion?: number,
  ): Promise<{ at: number; params: PublishDiagnosticsParams; skipped: number }> {
    const deadline = performance.now() + WAIT_LIMIT_MS;
    let skipped = 0;
    let index = 0;
    for (;;) {
      for (; index < this.publishes.length; index++) {
        const p = this.publishes[index];
        if (p.at < since || p.params.uri !== uri) continue;
        const stale = minVersion !== undefined && p.params.version !== undefined && p.params.version < minVersion;
        if (!stale && accept(p.params)) return { at: p.at, params: p.params, skipped };
        skipped++;
      }
      if (this.exited) throw new Error(this.failure('exited while diagnostics were awaited'));
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(this.failure(`no matching diagnostics for ${uri} within ${WAIT_LIMIT_MS} ms`));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Polite shutdown (shutdown, exit), then SIGKILL if the process is still there after two seconds. */
  async stop(): Promise<void> {
    if (!this.exited) {
      try {
        await this.within(this.conn.sendRequest('shutdown'), 'shutdown', 2000);
        await this.conn.sendNotification('exit');
      } catch {
        // Killed below.
      }
      const gone = new Promise<void>((resolve) => (this.exited ? resolve() : this.child.once('exit', () => resolve())));
      await Promise.race([gone, sleep(2000)]);
      if (!this.exited) {
        this.child.kill('SIGKILL');
        await gone;
      }
    }
    this.conn.dispose();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface KeystrokeTarget {
  session: LspSession;
  uri: string;
}

export interface KeystrokeResult {
  /** didChange → matching publishDiagnostics, milliseconds, one array per target. */
  samples: number[][];
  /** Publishes that arrived in between but did not show the edit yet, per target. */
  skipped: number[];
  /** Diagnostics right after opening the clean document, per target. */
  baseline: number[];
}

/**
 * Opens `text` in every server, then types one character after `site` and deletes it again, `edits` times
 * in all (half of them add an invalid enum value, half repair it). Targets take turns, edit by edit, so they
 * share the machine's noise, and only one server is ever busy. The latency of an edit ends at the first
 * publish whose diagnostics on the edited line match the new state: that is what the user sees.
 */
export async function measureKeystrokes(
  targets: KeystrokeTarget[],
  text: string,
  site: { line: number; character: number },
  opts: { warmup: number; edits: number; pauseMs: number },
): Promise<KeystrokeResult> {
  const onLine = (d: Diagnostic[]) => d.some((x) => x.range.start.line === site.line);
  const state = targets.map(() => ({ version: 1, broken: false }));
  const baseline: number[] = [];
  for (const t of targets) {
    const since = performance.now();
    await t.session.open(t.uri, text);
    const first = await t.session.diagnostics(t.uri, since, () => true);
    if (onLine(first.params.diagnostics)) {
      throw new Error(`${t.session.spec.name} reports a problem on the line the bench edits, before any edit`);
    }
    baseline.push(first.params.diagnostics.length);
    await t.session.quiet(250, 3000);
  }

  const samples = targets.map(() => [] as number[]);
  const skipped = targets.map(() => 0);
  const broken = text.split('\n');
  const brokenLine = broken[site.line].slice(0, site.character) + 'x' + broken[site.line].slice(site.character);
  const brokenText = [...broken.slice(0, site.line), brokenLine, ...broken.slice(site.line + 1)].join('\n');
  const total = opts.warmup + opts.edits;
  for (let k = 0; k < total; k++) {
    const order = k % 2 === 0 ? targets.map((_, i) => i) : targets.map((_, i) => targets.length - 1 - i);
    for (const i of order) {
      const t = targets[i];
      const s = state[i];
      s.version++;
      s.broken = !s.broken;
      const at = { line: site.line, character: site.character };
      // Typing "x" after the value, or deleting it again.
      const edit: TextDocumentContentChangeEvent = s.broken
        ? { range: { start: at, end: at }, text: 'x' }
        : { range: { start: at, end: { line: site.line, character: site.character + 1 } }, text: '' };
      const expectBroken = s.broken;
      const t0 = await t.session.change(t.uri, s.version, edit, s.broken ? brokenText : text);
      const got = await t.session.diagnostics(
        t.uri,
        t0,
        (p) => (p.version === undefined || p.version === s.version) && onLine(p.diagnostics) === expectBroken,
        s.version,
      );
      if (k >= opts.warmup) {
        samples[i].push(got.at - t0);
        skipped[i] += got.skipped;
      }
      // Let the server go idle before the other one is measured.
      await sleep(opts.pauseMs);
    }
  }
  return { samples, skipped, baseline };
}
