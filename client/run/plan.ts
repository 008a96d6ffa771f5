// Which documents of a manifest text run, and where each starts: Pods, and workloads whose pod template runs
// as one pod named after them (engine/manifest/pod-of.ts). The run command, the CodeLens and Restart all read
// a file through this one function. No VS Code imports.
// Direct module imports, not engine/manifest's index: the index brings the linter and its schema (1 MB) into
// the client bundle, and the engine lints every run anyway.
import { classify, isManifestText, type ManifestDocument } from '../../engine/manifest/documents';
import { parseText, type ParsedFile } from '../../engine/manifest/parse';
import { isRunnable } from '../../engine/manifest/pod-of';
import type { Range } from '../../engine/manifest/types';

export interface RunnableDoc {
  /** Index of the YAML document in the file. */
  index: number;
  kind: string;
  /** The pod's name (the Pod's, or the workload's); undefined when the document has none. */
  name?: string;
  namespace: string;
  /** The document's first line, where its CodeLens sits. */
  range: Range;
}

export interface ManifestPlan {
  file: ParsedFile;
  documents: ManifestDocument[];
  runnable: RunnableDoc[];
}

function namespaceOf(value: unknown): string {
  const meta = typeof value === 'object' && value !== null ? (value as { metadata?: unknown }).metadata : undefined;
  const ns = typeof meta === 'object' && meta !== null ? (meta as { namespace?: unknown }).namespace : undefined;
  return typeof ns === 'string' && ns ? ns : 'default';
}

/** Undefined for text that is not a manifest at all (no apiVersion or kind anywhere). */
export function planManifest(text: string): ManifestPlan | undefined {
  if (!isManifestText(text)) return undefined;
  const file = parseText(text);
  const documents = file.documents.map(classify);
  const runnable = documents.filter(isRunnable).map((d) => ({
    index: d.index,
    kind: d.kind ?? 'Pod',
    ...(d.name ? { name: d.name } : {}),
    namespace: namespaceOf(d.value),
    range: d.range,
  }));
  return { file, documents, runnable };
}
