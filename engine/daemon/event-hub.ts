// Fans pod events out to subscribed connections and keeps a bounded history on disk (events.jsonl), so
// `describe` and `events` still show what happened before a daemon restart. Per-chunk pull progress goes only
// to subscribers that asked for it and is never stored.
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { PodEvent } from '../pods/types';
import type { DaemonLog } from './log';

const KEEP = 1000;
/** Recent events remembered to drop the same event reported twice (runPod's callback and watch). */
const DEDUPE = 64;

export interface EventFilter {
  pod?: string;
  progress?: boolean;
}

interface Subscriber extends EventFilter {
  send(e: PodEvent): void;
}

/** Whether an event belongs in the history (state changes and pull milestones, not byte counts). */
export function isMilestone(e: PodEvent): boolean {
  if (e.type !== 'pull') return true;
  return e.progress.type === 'resolve' || e.progress.type === 'done' || e.progress.type === 'retry';
}

export function eventMatchesPod(e: PodEvent, pod: string): boolean {
  return e.pod === pod || ('uid' in e && e.uid === pod);
}

export class EventHub {
  private history: PodEvent[] = [];
  private onDisk = 0;
  private readonly subscribers = new Map<string, Subscriber>();
  private readonly recent: string[] = [];

  constructor(
    private readonly file: string,
    private readonly log: DaemonLog,
    private readonly keep = KEEP,
  ) {}

  /** Reads the history left by earlier daemons; a damaged line is skipped, not fatal. */
  load(): void {
    let text = '';
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return;
    }
    const lines = text.split('\n').filter(Boolean);
    for (const line of lines) {
      try {
        this.history.push(JSON.parse(line) as PodEvent);
      } catch {
        // a line cut by a crash mid-write
      }
    }
    this.history.splice(0, Math.max(0, this.history.length - this.keep));
    this.onDisk = lines.length;
    if (this.onDisk > this.keep) this.compact();
  }

  publish(e: PodEvent): void {
    const key = JSON.stringify(e);
    if (this.recent.includes(key)) return;
    this.recent.push(key);
    if (this.recent.length > DEDUPE) this.recent.shift();
    const milestone = isMilestone(e);
    if (milestone) this.record(e, key);
    for (const s of this.subscribers.values()) {
      if (!milestone && !s.progress) continue;
      if (s.pod && !eventMatchesPod(e, s.pod)) continue;
      try {
        s.send(e);
      } catch (err) {
        // One broken subscriber must not cost the others (or the runtime calling us) their events.
        this.log.warn(`event subscriber failed: ${(err as Error).message}`);
      }
    }
  }

  subscribe(filter: EventFilter, send: (e: PodEvent) => void): string {
    const id = randomUUID();
    this.subscribers.set(id, { ...filter, send });
    return id;
  }

  unsubscribe(id: string): void {
    this.subscribers.delete(id);
  }

  list(pod?: string): PodEvent[] {
    return pod ? this.history.filter((e) => eventMatchesPod(e, pod)) : [...this.history];
  }

  private record(e: PodEvent, line: string): void {
    this.history.push(e);
    if (this.history.length > this.keep) this.history.splice(0, this.history.length - this.keep);
    try {
      appendFileSync(this.file, line + '\n', { mode: 0o600 });
      if (++this.onDisk > 2 * this.keep) this.compact();
    } catch (err) {
      this.log.warn(`cannot record event: ${(err as Error).message}`);
    }
  }

  /** Rewrites the file with only the kept tail (temp file + rename, so a crash leaves one whole version). */
  private compact(): void {
    const tmp = this.file + '.tmp';
    try {
      writeFileSync(tmp, this.history.map((e) => JSON.stringify(e) + '\n').join(''), { mode: 0o600 });
      renameSync(tmp, this.file);
      this.onDisk = this.history.length;
    } catch (err) {
      this.log.warn(`cannot compact the event history: ${(err as Error).message}`);
    }
  }
}
