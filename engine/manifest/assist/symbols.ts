// The outline of a manifest file: each document, and inside a pod (or a workload's pod template) its
// containers with their ports and mounts, and its volumes. Read from the syntax tree, so a document with a
// syntax error further down still shows what parsed.
import { isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import type { ManifestDocument } from '../documents';
import { locate, nodeRange } from '../source-map';
import type { Range } from '../types';
import { toAnalysis, type Analysis } from './analysis';

export type SymbolKindName =
  | 'pod'
  | 'workload'
  | 'configmap'
  | 'secret'
  | 'object'
  | 'container'
  | 'initContainer'
  | 'port'
  | 'volumeMount'
  | 'volume';

export interface SymbolNode {
  name: string;
  detail?: string;
  kind: SymbolKindName;
  /** The whole construct. */
  range: Range;
  /** What to highlight when the symbol is picked (always inside `range`). */
  selectionRange: Range;
  children: SymbolNode[];
}

export function documentSymbols(input: string | Analysis): SymbolNode[] {
  const analysis = toAnalysis(input);
  const out: SymbolNode[] = [];
  for (const doc of analysis.documents) {
    if (doc.role === 'unrelated' || !isMap(doc.doc.contents)) continue;
    const at = (n: Node) => nodeRange(analysis.file, n);
    const contents = doc.doc.contents;
    const range = at(contents);
    const nameNode = scalarAt(doc, ['metadata', 'name']) ?? scalarAt(doc, ['kind']);
    const symbol: SymbolNode = {
      name: [doc.kind ?? '(no kind)', doc.name].filter(Boolean).join(' '),
      detail: doc.apiVersion,
      kind: doc.role === 'pod' || doc.role === 'workload' || doc.role === 'configmap' || doc.role === 'secret' ? doc.role : 'object',
      range,
      selectionRange: nameNode ? at(nameNode) : head(range),
      children: doc.podPath ? podChildren(doc, at) : [],
    };
    out.push(symbol);
  }
  return out;
}

function podChildren(doc: ManifestDocument, at: (n: Node) => Range): SymbolNode[] {
  const spec = [...doc.podPath!, 'spec'];
  const children: SymbolNode[] = [];
  for (const [list, kind] of [
    ['initContainers', 'initContainer'],
    ['containers', 'container'],
  ] as const) {
    itemsOf(doc, [...spec, list]).forEach((item, i) => {
      const image = text(item.get('image', true));
      children.push({
        ...named(item, `${list}[${i}]`, at),
        detail: kind === 'initContainer' ? `init container${image ? ` · ${image}` : ''}` : image,
        kind,
        children: [...portsOf(item, at), ...mountsOf(item, at)],
      });
    });
  }
  itemsOf(doc, [...spec, 'volumes']).forEach((item, i) => {
    // The volume's source is its one key besides `name` (emptyDir, configMap, hostPath...).
    const source = item.items.map((p) => text(p.key as Node)).find((k) => k !== undefined && k !== 'name');
    children.push({ ...named(item, `volumes[${i}]`, at), detail: source, kind: 'volume', children: [] });
  });
  return children;
}

function portsOf(container: YAMLMap, at: (n: Node) => Range): SymbolNode[] {
  return mapsIn(container.get('ports', true)).map((port) => {
    const number = text(port.get('containerPort', true));
    const protocol = text(port.get('protocol', true)) ?? 'TCP';
    const base = named(port, number ?? 'port', at);
    return { ...base, detail: number ? `${number}/${protocol}` : protocol, kind: 'port' as const, children: [] };
  });
}

function mountsOf(container: YAMLMap, at: (n: Node) => Range): SymbolNode[] {
  return mapsIn(container.get('volumeMounts', true)).map((m) => ({
    ...named(m, 'volumeMount', at),
    detail: text(m.get('mountPath', true)),
    kind: 'volumeMount' as const,
    children: [],
  }));
}

/** Name and ranges of a mapping named by its `name` field (or `fallback`). */
function named(map: YAMLMap, fallback: string, at: (n: Node) => Range): Pick<SymbolNode, 'name' | 'range' | 'selectionRange'> {
  const range = at(map);
  const nameNode = map.get('name', true);
  const name = text(nameNode);
  return {
    name: name ?? fallback,
    range,
    selectionRange: name !== undefined && nameNode?.range ? at(nameNode as Node) : head(range),
  };
}

function itemsOf(doc: ManifestDocument, path: (string | number)[]): YAMLMap[] {
  const loc = locate(doc, path);
  return loc.depth === path.length ? mapsIn(loc.value) : [];
}

function mapsIn(node: unknown): YAMLMap[] {
  if (!isSeq(node)) return [];
  return node.items.filter((it): it is YAMLMap => isMap(it) && !!it.range);
}

function scalarAt(doc: ManifestDocument, path: string[]): Node | undefined {
  const loc = locate(doc, path);
  return loc.depth === path.length && isScalar(loc.value) && loc.value.range ? loc.value : undefined;
}

function text(node: unknown): string | undefined {
  if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
  const v = node.value;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

function head(range: Range): Range {
  return { start: range.start, end: range.start };
}
