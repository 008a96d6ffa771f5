// Maps value paths to source ranges and source offsets back to value paths, over the yaml syntax tree.
import { isAlias, isMap, isPair, isScalar, isSeq, type Node, type Pair } from 'yaml';
import type { ParsedDocument, ParsedFile } from './parse';
import type { Path, Range } from './types';

export interface Located {
  /** How many leading path segments exist in the source. Equal to path.length when fully found. */
  depth: number;
  /** The key node of the last found segment (absent for array items and the root). */
  key?: Node;
  /** The value node of the last found segment. */
  value?: Node | null;
  /** The pair holding the last found segment (absent for array items and the root). */
  pair?: Pair;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

/** Walks `path` down the syntax tree as far as it goes. */
export function locate(doc: ParsedDocument, path: Path): Located {
  let node: unknown = doc.doc.contents;
  const out: Located = { depth: 0, value: (node as Node | null) ?? null };
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc.doc);
    if (typeof seg === 'number' && isSeq(node)) {
      const item = node.items[seg];
      if (item === undefined) break;
      node = item;
      out.key = undefined;
      out.pair = undefined;
      out.value = item as Node;
    } else if (typeof seg === 'string' && isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === seg);
      if (!pair) break;
      node = pair.value;
      out.pair = pair as Pair;
      out.key = pair.key as Node;
      out.value = (pair.value as Node | null) ?? null;
    } else break;
    out.depth++;
  }
  return out;
}

export function nodeRange(file: Pick<ParsedFile, 'positionAt'>, node: Node): Range {
  const r = node.range!;
  return { start: file.positionAt(r[0]), end: file.positionAt(r[1]) };
}

export type Target = 'key' | 'value' | 'pair';

/**
 * The range to underline for `path`: its key, its value, or both. A path that does not exist in the source
 * (a missing required field) is pinned to the key of its deepest existing ancestor.
 */
export function rangeOf(file: ParsedFile, doc: ParsedDocument, path: Path, target: Target = 'value'): Range {
  const loc = locate(doc, path);
  const complete = loc.depth === path.length;
  const key = loc.key?.range ? loc.key : undefined;
  const value = loc.value && loc.value.range ? loc.value : undefined;
  if (!complete) {
    if (key) return nodeRange(file, key);
    if (value) return headRange(file, value);
    return doc.range;
  }
  if (target === 'key' && key) return nodeRange(file, key);
  if (target === 'pair' && key) {
    const end = value ? value.range![1] : key.range![1];
    return { start: file.positionAt(key.range![0]), end: file.positionAt(end) };
  }
  if (value) {
    // A block collection spans many lines; its first line is enough to point at it.
    if (isMap(value) || isSeq(value)) return key ? nodeRange(file, key) : headRange(file, value);
    return nodeRange(file, value);
  }
  if (key) return nodeRange(file, key);
  return doc.range;
}

/** The first line of a node, for pointing at a whole block without painting it. */
function headRange(file: ParsedFile, node: Node): Range {
  const r = nodeRange(file, node);
  if (r.start.line === r.end.line) return r;
  const lineEnd = file.text.indexOf('\n', node.range![0]);
  return { start: r.start, end: file.positionAt(lineEnd < 0 ? node.range![1] : lineEnd) };
}

export interface PathAtOffset {
  path: Path;
  /** Whether the offset sits on a key (hover on a field name) or a value. */
  on: 'key' | 'value';
  node?: Node;
}

/** The deepest path whose key or value contains `offset`. */
export function pathAt(doc: ParsedDocument, offset: number): PathAtOffset {
  const path: Path = [];
  let node: unknown = doc.doc.contents;
  let on: 'key' | 'value' = 'value';
  let last: Node | undefined;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => covers(p.key, offset) || covers(p.value, offset) || pairCovers(p, offset));
      if (!pair) break;
      const k = keyText(pair.key);
      if (k === undefined) break;
      path.push(k);
      if (covers(pair.key, offset)) {
        on = 'key';
        last = pair.key as Node;
        break;
      }
      on = 'value';
      node = pair.value;
      last = (pair.value as Node) ?? undefined;
      if (!pair.value) break;
    } else if (isSeq(node)) {
      const i = node.items.findIndex((it) => covers(it, offset));
      if (i < 0) break;
      path.push(i);
      node = node.items[i];
      last = node as Node;
      on = 'value';
    } else break;
  }
  return { path, on, node: last };
}

function covers(n: unknown, offset: number): boolean {
  if (!n || typeof n !== 'object' || !('range' in n)) return false;
  const r = (n as Node).range;
  return !!r && r[0] <= offset && offset <= r[1];
}

function pairCovers(p: unknown, offset: number): boolean {
  if (!isPair(p)) return false;
  const k = p.key as Node | null;
  const v = p.value as Node | null;
  const start = k?.range?.[0];
  const end = v?.range?.[1] ?? k?.range?.[1];
  return start !== undefined && end !== undefined && start <= offset && offset <= end;
}
