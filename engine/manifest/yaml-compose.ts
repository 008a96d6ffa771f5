// The yaml library's parseAllDocuments, with absurd nesting refused before it is composed. The library builds
// its concrete syntax tree iteratively but composes documents recursively, catching the stack overflow that
// deep nesting causes. An overflow that happens to land in V8's regular-expression compiler, though, aborts
// the whole process instead of throwing (measured: `[` nested 2,000 deep and closed, parsed a second time,
// kills node with "RegExpCompiler Allocation failed"). One hostile file must not take the language server
// down, so the depth is measured on the syntax tree first, without recursion.
import { Composer, Parser, type Document, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';

/** Far beyond any real manifest (tens of levels), far below what overflows the stack (about 2,000). */
export const MAX_NESTING = 500;

export type ComposeOptions = ParseOptions & DocumentOptions & SchemaOptions & { onNewLine?: (offset: number) => void };

export type Composed = { docs: Document.Parsed[] } | { tooDeep: { offset: number } };

interface CstNode {
  type?: string;
  offset?: number;
  value?: unknown;
  items?: { key?: unknown; value?: unknown; sep?: unknown }[];
}

const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection']);

/** Where the tokens first nest collections deeper than `max`, or undefined. */
function tooDeepAt(tokens: CstNode[], max: number): number | undefined {
  const stack: [CstNode, number][] = tokens.map((t): [CstNode, number] => [t, 0]).reverse();
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (!node || typeof node !== 'object') continue;
    const d = COLLECTIONS.has(node.type ?? '') ? depth + 1 : depth;
    if (d > max) return node.offset ?? 0;
    if (node.value && typeof node.value === 'object') stack.push([node.value as CstNode, d]);
    for (const item of node.items ?? []) {
      if (item.key && typeof item.key === 'object') stack.push([item.key as CstNode, d]);
      if (item.value && typeof item.value === 'object') stack.push([item.value as CstNode, d]);
    }
  }
  return undefined;
}

export function composeDocuments(text: string, options: ComposeOptions = {}): Composed {
  const tokens = Array.from(new Parser(options.onNewLine).parse(text)) as CstNode[];
  const offset = tooDeepAt(tokens, MAX_NESTING);
  if (offset !== undefined) return { tooDeep: { offset } };
  const composer = new Composer(options);
  return { docs: Array.from(composer.compose(tokens as never)) as Document.Parsed[] };
}
