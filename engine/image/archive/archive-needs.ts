// What of an image archive the load needs, worked out from its JSON documents before anything is stored: the
// blobs that index.json reaches (through nested indexes and manifests to configs and layers), and the configs
// and layers that manifest.json (docker save) names. Everything else in the archive is never imported.
import { parseJsonQuietly } from '../../text/json-text';
import { isDigest } from '../store/digest';
import { type Descriptor, type ImageIndex, type ImageManifest } from '../types';
import { dockerManifest } from './docker-archive';
import { topDescriptors } from './oci-layout-dir';
import { entryError, resolveArchivePath, type ArchiveContents, type ArchiveNeeds } from './tar-archive';

const MAX_DEPTH = 3;

/** A JSON document of the archive, parsed; a syntax error names the entry and the position only. */
export function archiveJson(contents: ArchiveContents, path: string): unknown {
  const bytes = contents.json.get(path);
  if (!bytes) return undefined;
  try {
    return parseJsonQuietly(bytes.toString('utf8'));
  } catch (err) {
    throw entryError(contents, path, `is ${(err as Error).message}`, 'INVALID_JSON');
  }
}

/** The top-level descriptors of index.json. */
export function archiveIndex(contents: ArchiveContents): Descriptor[] {
  const index = archiveJson(contents, 'index.json');
  if (!index || typeof index !== 'object' || Array.isArray(index)) throw entryError(contents, 'index.json', 'is not a JSON object', 'BAD_IMAGE');
  return topDescriptors(index as Partial<ImageIndex>, `${contents.file}: archive entry "index.json"`);
}

function walk(contents: ArchiveContents, d: Descriptor, needs: ArchiveNeeds, depth: number): void {
  if (!d || typeof d !== 'object' || typeof d.digest !== 'string' || !isDigest(d.digest) || needs.digests.has(d.digest)) return;
  needs.digests.add(d.digest);
  const path = `blobs/sha256/${d.digest.slice(7)}`;
  let doc: Partial<ImageIndex & ImageManifest> | undefined;
  try {
    doc = archiveJson(contents, path) as Partial<ImageIndex & ImageManifest> | undefined;
  } catch {
    // Not a document (or a broken one): imported as a blob, and the checks after the import say what is wrong.
    return;
  }
  if (!doc || typeof doc !== 'object') return;
  if (Array.isArray(doc.manifests)) {
    if (depth >= MAX_DEPTH) return;
    for (const m of doc.manifests) walk(contents, m, needs, depth + 1);
    return;
  }
  for (const x of [doc.config, ...(Array.isArray(doc.layers) ? doc.layers : [])]) {
    if (x && typeof x === 'object' && typeof x.digest === 'string' && isDigest(x.digest)) needs.digests.add(x.digest);
  }
}

export function archiveNeeds(contents: ArchiveContents): ArchiveNeeds {
  const needs: ArchiveNeeds = { digests: new Set(), tars: new Set() };
  if (contents.json.has('index.json')) for (const top of archiveIndex(contents)) walk(contents, top, needs, 0);
  for (const entry of dockerManifest(contents) ?? []) {
    for (const p of [entry.Config, ...(Array.isArray(entry.Layers) ? entry.Layers : [])]) {
      if (typeof p !== 'string') continue;
      const real = resolveArchivePath(contents, p);
      const blob = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(real);
      if (blob) needs.digests.add('sha256:' + blob[1]);
      else if (!contents.json.has(real)) needs.tars.add(real);
    }
  }
  return needs;
}

