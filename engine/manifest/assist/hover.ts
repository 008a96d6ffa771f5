// Hover: what the field under the cursor is, what it accepts, and which Podsmith limit applies to it.
import { pathAt, nodeRange } from '../source-map';
import type { Path, Range } from '../types';
import { documentAt, toAnalysis, type Analysis } from './analysis';
import { limitNote } from './limits';
import { fieldAt, type Describe } from './schema-view';

export interface HoverInfo {
  /** Markdown. */
  contents: string;
  range?: Range;
}

export interface AssistOptions {
  /** Schema lookup; tests substitute a small one. */
  describe?: Describe;
}

export function hoverAt(input: string | Analysis, offset: number, options: AssistOptions = {}): HoverInfo | undefined {
  const analysis = toAnalysis(input);
  const doc = documentAt(analysis, offset);
  if (!doc || doc.role === 'unrelated') return undefined;
  const at = pathAt(doc, offset);
  if (at.path.length === 0 || !at.node?.range) return undefined;
  // A scalar inside a list (`- sh` under `command`) is described by its list field.
  const field = trimIndexes(at.path);
  if (field.length === 0) return undefined;
  const info = fieldAt(doc.kind, field, options.describe);
  const limit = limitNote(doc.kind, field);
  if (!info && !limit) return undefined;

  const name = String(field[field.length - 1]);
  const head = [`**${name}**`];
  if (info?.type) head.push(`\`${info.type}\``);
  if (info?.required) head.push('required');
  const parts = [head.join(' · ')];
  if (info?.description) parts.push(info.description);
  if (info?.enum?.length) parts.push(`Allowed values: ${info.enum.map((v) => `\`${v}\``).join(', ')}`);
  if (limit) parts.push(`Podsmith limit: ${limit}`);
  return { contents: parts.join('\n\n'), range: nodeRange(analysis.file, at.node) };
}

function trimIndexes(path: Path): Path {
  let end = path.length;
  while (end > 0 && typeof path[end - 1] === 'number') end--;
  return path.slice(0, end);
}
