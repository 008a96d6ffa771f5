// What this client learnt the last time it bootstrapped a host: the engine bundle it checked there, and the
// daemon that bundle runs (its pid, home and socket). The next connection to the same destination asks that
// daemon first, over a streamlocal channel, and skips the probe and `daemon start` (two remote Node starts
// through the login shell, most of a warm connection's time) when the very same daemon process answers: the
// same pid, home and version, and the bundle it was started from is still the one this client would install.
// Anything else (no such socket, another pid, another bundle here) does the full bootstrap again.
//
// One small JSON file per destination in the client's cache ($XDG_CACHE_HOME/podsmith/hosts/, 0600 in 0700):
// only paths and ids of the remote host, nothing secret. A damaged or foreign file is ignored.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { BootstrapResult, RemoteDaemonInfo, RemoteFacts } from './bootstrap';

export interface ReuseRecord {
  /** The destination the record is for (user@host:port, through the jumps). */
  destination: string;
  node: string;
  bundleId: string;
  engineDir: string;
  facts: RemoteFacts;
  daemon: Omit<RemoteDaemonInfo, 'started'>;
}

function recordDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CACHE_HOME;
  const root = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.cache');
  return join(root, 'podsmith', 'hosts');
}

function recordFile(destination: string, node: string, env: NodeJS.ProcessEnv): string {
  const id = createHash('sha256').update(`${destination}\0${node}`).digest('hex').slice(0, 32);
  return join(recordDir(env), `${id}.json`);
}

export function readReuseRecord(destination: string, node: string, env: NodeJS.ProcessEnv): ReuseRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(recordFile(destination, node, env), 'utf8')) as ReuseRecord;
    const ok =
      r.destination === destination &&
      r.node === node &&
      typeof r.bundleId === 'string' &&
      typeof r.engineDir === 'string' &&
      typeof r.facts?.arch === 'string' &&
      (r.facts.libc === 'glibc' || r.facts.libc === 'musl') &&
      Number.isInteger(r.daemon?.pid) &&
      typeof r.daemon.socket === 'string' &&
      typeof r.daemon.home === 'string';
    return ok ? r : undefined;
  } catch {
    return undefined;
  }
}

/** Saves what a full bootstrap found; failing to write only costs the next connection its shortcut. */
export function writeReuseRecord(destination: string, boot: BootstrapResult, env: NodeJS.ProcessEnv): void {
  const { started: _started, ...daemon } = boot.daemon;
  const record: ReuseRecord = { destination, node: boot.node, bundleId: boot.bundle.id, engineDir: boot.engineDir, facts: boot.facts, daemon };
  const file = recordFile(destination, boot.node, env);
  try {
    mkdirSync(recordDir(env), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(record) + '\n', { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // a read-only or full cache
  }
}
