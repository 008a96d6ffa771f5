// The `podsmith` settings section, per document. Pulled with workspace/configuration when the client can
// answer it (so folder settings apply), otherwise taken from whatever the client pushed; always sanitized,
// since a settings file can hold anything.
import type { Connection } from 'vscode-languageserver/node';
import type { SeveritySetting } from '../engine/manifest/types';

export interface PodsmithSettings {
  enable: boolean;
  /** Rule id → severity or `off`. */
  rules: Record<string, SeveritySetting>;
}

export const DEFAULT_SETTINGS: PodsmithSettings = Object.freeze({ enable: true, rules: Object.freeze({}) as Record<string, SeveritySetting> });

const SEVERITY_WORDS: Record<string, SeveritySetting> = {
  error: 'error',
  warning: 'warning',
  warn: 'warning',
  info: 'info',
  information: 'info',
  off: 'off',
};

export function sanitizeSettings(raw: unknown): PodsmithSettings {
  if (typeof raw !== 'object' || raw === null) return DEFAULT_SETTINGS;
  const r = raw as Record<string, unknown>;
  const rules: Record<string, SeveritySetting> = {};
  if (typeof r.rules === 'object' && r.rules !== null && !Array.isArray(r.rules)) {
    for (const [id, v] of Object.entries(r.rules as Record<string, unknown>)) {
      const s = typeof v === 'string' ? SEVERITY_WORDS[v.toLowerCase()] : undefined;
      if (s) rules[id] = s;
    }
  }
  return { enable: r.enable !== false, rules };
}

export class SettingsStore {
  private pull = false;
  private pushed: PodsmithSettings = DEFAULT_SETTINGS;
  private readonly resolved = new Map<string, PodsmithSettings>();
  private readonly pending = new Map<string, Promise<PodsmithSettings>>();
  private gen = 0;

  constructor(private readonly connection: Connection) {}

  /** Called from initialize: whether to pull, and any settings the client passed up front. */
  configure(canPull: boolean, initial?: unknown): void {
    this.pull = canPull;
    if (initial !== undefined) this.pushed = sanitizeSettings(pick(initial));
  }

  /** Bumped by every reset, so work that waited on settings can tell it went stale. */
  get generation(): number {
    return this.gen;
  }

  get canPull(): boolean {
    return this.pull;
  }

  /** Settings changed: forget everything cached; pushed settings (if any) become the fallback. */
  reset(pushed?: unknown): void {
    this.gen++;
    this.resolved.clear();
    this.pending.clear();
    const section = pick(pushed);
    if (section !== undefined) this.pushed = sanitizeSettings(section);
  }

  /** The settings for `uri` when already known, so the hot path (lint on keystroke) stays synchronous. */
  cached(uri: string): PodsmithSettings | undefined {
    if (!this.pull) return this.pushed;
    return this.resolved.get(uri);
  }

  load(uri: string): Promise<PodsmithSettings> {
    const known = this.cached(uri);
    if (known) return Promise.resolve(known);
    let p = this.pending.get(uri);
    if (!p) {
      const generation = this.gen;
      p = this.connection.workspace
        .getConfiguration({ scopeUri: uri, section: 'podsmith' })
        .then(
          (raw: unknown) => sanitizeSettings(raw),
          // A client that fails the request still gets a working server.
          () => this.pushed,
        )
        .then((s) => {
          // A reset while the request was out makes this answer stale; keep it only for the caller.
          if (generation === this.gen) {
            this.resolved.set(uri, s);
            this.pending.delete(uri);
          }
          return s;
        });
      this.pending.set(uri, p);
    }
    return p;
  }

  forget(uri: string): void {
    this.resolved.delete(uri);
    this.pending.delete(uri);
  }
}

/** didChangeConfiguration may carry `{ podsmith: {...} }`, the section itself, or nothing useful. */
function pick(settings: unknown): unknown {
  if (typeof settings !== 'object' || settings === null) return undefined;
  const s = settings as Record<string, unknown>;
  if ('podsmith' in s) return s.podsmith;
  if ('rules' in s || 'enable' in s) return s;
  return undefined;
}
