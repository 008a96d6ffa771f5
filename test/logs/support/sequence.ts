// Checks that followed lines are exactly out-1..out-N (and err-1..err-M), in order: nothing lost, nothing twice.
import type { LogEntry } from '../../../engine/logs/line-joiner';

export function sequenceProblems(entries: readonly LogEntry[], prefix: string, stream: string, expected: number): string[] {
  const problems: string[] = [];
  let next = 1;
  for (const e of entries) {
    if (e.stream !== stream) continue;
    const n = Number(e.line.startsWith(prefix) ? e.line.slice(prefix.length) : NaN);
    if (n !== next) {
      problems.push(`expected ${prefix}${next}, got ${JSON.stringify(e.line)}${e.partial ? ' (partial)' : ''}`);
      if (problems.length > 5) break;
      if (Number.isInteger(n)) next = n;
    }
    next++;
  }
  if (next - 1 !== expected && problems.length === 0) problems.push(`got ${next - 1} ${stream} lines, expected ${expected}`);
  return problems;
}
