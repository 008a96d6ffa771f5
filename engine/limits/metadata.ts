// Label and annotation keys and label values: the engine's key length limit plus the Kubernetes syntax, which
// the API server would enforce anyway (`[dns-prefix/]name`, values of at most 63 characters).
import type { Report } from '../manifest/report';
import { labelValueProblem, qualifiedNameProblem, toLabelValue, toQualifiedName } from './name-syntax';
import { entriesOf, objField, shown, utf8Bytes } from './pod-walk';
import { LIMITS } from './table';

function checkKeys(meta: unknown, map: 'labels' | 'annotations'): Report[] {
  const noun = map === 'labels' ? 'Label' : 'Annotation';
  const out: Report[] = [];
  const entries = entriesOf(meta, map);
  const taken = new Set(entries.map(([k]) => k));
  for (const [key] of entries) {
    const path = ['metadata', map, key];
    const bytes = utf8Bytes(key);
    if (bytes > LIMITS.labelKeyBytes) {
      out.push({
        rule: 'limit-label-key',
        path,
        target: 'key',
        message: `${noun} key is ${bytes} bytes; the limit is ${LIMITS.labelKeyBytes}. Shorten the key (its name part to at most 63 characters).`,
      });
      continue;
    }
    // The API server lowercases annotation keys before checking them, so `Example.COM/x` is a valid one.
    const problem = qualifiedNameProblem(map === 'annotations' ? key.toLowerCase() : key);
    if (!problem) continue;
    const fixed = toQualifiedName(key);
    const usable = fixed !== undefined && !taken.has(fixed);
    out.push({
      rule: 'label-key-syntax',
      path,
      target: 'key',
      message: `${noun} key ${shown(key)} is not a valid key: ${problem}.${usable ? ` Use ${shown(fixed)} instead.` : ''}`,
      fixes: usable ? [{ kind: 'rename-key', title: `Rename key to "${fixed}"`, to: fixed }] : [],
    });
  }
  return out;
}

function checkLabelValues(meta: unknown): Report[] {
  const out: Report[] = [];
  for (const [key, value] of entriesOf(meta, 'labels')) {
    if (typeof value !== 'string') continue;
    const problem = labelValueProblem(value);
    if (!problem) continue;
    const fixed = toLabelValue(value);
    out.push({
      rule: 'label-value-syntax',
      path: ['metadata', 'labels', key],
      message: `Label ${shown(key)} has value ${shown(value)}, which is not a valid label value: ${problem}.${fixed ? ` Use ${shown(fixed)} instead.` : ''}`,
      // Selectors elsewhere may match the old value, so the repair is never applied on its own.
      fixes: fixed ? [{ kind: 'set-value', title: `Change value to "${fixed}"`, value: fixed }] : [],
    });
  }
  return out;
}

export function checkMetadata(pod: unknown): Report[] {
  const meta = objField(pod, 'metadata');
  return [...checkKeys(meta, 'labels'), ...checkLabelValues(meta), ...checkKeys(meta, 'annotations')];
}
