// Shared setup for the registry tests: a private PODSMITH_HOME (so no test reads the user's auth files or
// store), fast timeouts and retry pacing, and a progress recorder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type ImageStore } from '../../../engine/image/store';
import type { PullProgress } from '../../../engine/image/types';
import type { RetryPolicy, Timeouts } from '../../../engine/image/registry/limits';

export interface TestHome {
  home: string;
  /** HOME and PODSMITH_HOME both point into the temp dir. */
  env: NodeJS.ProcessEnv;
  store: ImageStore;
  dispose(): void;
}

export async function tempHome(): Promise<TestHome> {
  const home = mkdtempSync(join(tmpdir(), 'podsmith-home-'));
  const env = { HOME: home, PODSMITH_HOME: home };
  return { home, env, store: await openStore(home), dispose: () => rmSync(home, { recursive: true, force: true }) };
}

/** Retries quickly so fault tests take milliseconds, not seconds. */
export const FAST_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 5, maxDelayMs: 50 };
export const FAST_TIMEOUTS: Timeouts = { idleMs: 2000, totalMs: 30_000 };

export function recorder(): { events: PullProgress[]; onProgress: (e: PullProgress) => void } {
  const events: PullProgress[] = [];
  return { events, onProgress: (e) => void events.push(e) };
}
