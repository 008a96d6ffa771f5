// The doctor's table: one line per check, then what to do about each failure and warning.
import type { DoctorReport } from './types';

const LABEL = { ok: 'ok', warn: 'warn', fail: 'FAIL' } as const;

export function formatReport(r: DoctorReport): string {
  const rows = [['CHECK', 'STATUS', 'DETAIL'], ...r.checks.map((c) => [c.name, LABEL[c.status], c.detail])];
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  const lines = rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`);
  const fixes = r.checks.filter((c) => c.status !== 'ok' && c.fix);
  if (fixes.length) {
    lines.push('', 'To fix:');
    for (const c of fixes) lines.push(`  ${c.name}${c.required ? '' : ' (optional)'}: ${c.fix}`);
  }
  lines.push(
    '',
    r.ok
      ? `pod-containers: ready${r.ociRuntime ? ` (OCI runtime ${r.ociRuntime})` : ''}`
      : `pod-containers: NOT ready: fix ${r.checks.filter((c) => c.status === 'fail').map((c) => c.name).join(', ')}`,
  );
  return lines.join('\n') + '\n';
}
