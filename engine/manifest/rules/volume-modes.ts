// volume-file-mode: the file modes of configMap, secret, downwardAPI and projected volumes (defaultMode and
// each item's mode) are permission bits only. The API server refuses anything outside 0-0777 (octal), so a
// manifest cannot hand out setuid, setgid or sticky files; run_pod refuses them too (volumes.ts).
import { arrField, field, isObj, objField, objItems, shown, strField } from '../../limits/pod-walk';
import type { Path } from '../types';
import type { FixSpec, Report } from '../report';

const MAX_MODE = 0o777;

function octal(n: number): string {
  return n >= 0 ? `0${n.toString(8)}` : String(n);
}

function checkMode(out: Report[], value: unknown, path: Path, what: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || (value >= 0 && value <= MAX_MODE)) return;
  const fixes: FixSpec[] =
    value > MAX_MODE ? [{ kind: 'set-value', title: `Keep only the permission bits: ${value & MAX_MODE} (${octal(value & MAX_MODE)})`, value: value & MAX_MODE, preferred: true }] : [];
  const special = value > MAX_MODE ? ' Setuid, setgid and sticky bits (04000, 02000, 01000) cannot be set on volume files.' : '';
  out.push({
    rule: 'volume-file-mode',
    path,
    message: `${what} is ${value} (${octal(value)} octal); it must be a number between 0 and 0777 (octal), both inclusive, as the API server requires.${special} Write it in decimal in JSON (0644 is 420).`,
    fixes,
  });
}

function checkItems(out: Report[], source: unknown, path: Path, what: string): void {
  for (const { item, index } of objItems(source, 'items')) checkMode(out, field(item, 'mode'), [...path, 'items', index, 'mode'], `The mode of ${what} item ${shown(strField(item, 'path') ?? String(index + 1))}`);
}

export function checkVolumeModes(pod: unknown): Report[] {
  const out: Report[] = [];
  for (const { item: volume, index } of objItems(objField(pod, 'spec'), 'volumes')) {
    const name = shown(strField(volume, 'name') ?? `#${index + 1}`);
    const base: Path = ['spec', 'volumes', index];
    for (const kind of ['configMap', 'secret', 'downwardAPI', 'projected'] as const) {
      const source = objField(volume, kind);
      if (!source) continue;
      checkMode(out, field(source, 'defaultMode'), [...base, kind, 'defaultMode'], `The defaultMode of volume ${name}`);
      if (kind !== 'projected') {
        checkItems(out, source, [...base, kind], `volume ${name}'s`);
        continue;
      }
      (arrField(source, 'sources') ?? []).forEach((projection, i) => {
        if (!isObj(projection)) return;
        for (const part of ['configMap', 'secret', 'downwardAPI'] as const) {
          const sub = objField(projection, part);
          if (sub) checkItems(out, sub, [...base, kind, 'sources', i, part], `volume ${name}'s ${part}`);
        }
      });
    }
  }
  return out;
}
