// A log tab's address: `podsmith-log://<host>/<pod>/<container>.log?<options>`. The options are in it, so the
// same logs with the same options reuse their tab, and a tab VS Code restores can be fed again.
import * as vscode from 'vscode';
import type { LogSpec } from './log-session';

export const SCHEME = 'podsmith-log';
export const LANGUAGE = 'podsmith-log';

export function logUri(spec: LogSpec): vscode.Uri {
  const name = spec.all ? 'all containers' : `${spec.containers[0]}${spec.previous ? ' (previous)' : ''}`;
  const q = new URLSearchParams();
  q.set('containers', spec.containers.join(','));
  if (spec.all) q.set('all', '1');
  q.set('follow', spec.follow ? '1' : '0');
  q.set('tail', String(spec.tail));
  if (spec.sinceSeconds !== undefined) q.set('since', String(spec.sinceSeconds));
  if (spec.previous) q.set('previous', '1');
  return vscode.Uri.from({ scheme: SCHEME, authority: spec.host, path: `/${spec.pod}/${name}.log`, query: q.toString() });
}

/** The spec a log tab's address names; undefined when it is not one of ours. */
export function specOf(uri: vscode.Uri): LogSpec | undefined {
  if (uri.scheme !== SCHEME) return undefined;
  const pod = uri.path.split('/')[1];
  const q = new URLSearchParams(uri.query);
  const containers = (q.get('containers') ?? '').split(',').filter(Boolean);
  const tail = Number(q.get('tail'));
  const since = q.get('since');
  if (!pod || containers.length === 0 || !Number.isSafeInteger(tail) || tail < 0) return undefined;
  return {
    host: uri.authority || 'local',
    pod,
    containers,
    all: q.get('all') === '1',
    follow: q.get('follow') === '1',
    tail,
    ...(since !== null && /^\d+$/.test(since) ? { sinceSeconds: Number(since) } : {}),
    previous: q.get('previous') === '1',
  };
}
