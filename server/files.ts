// Which open documents Podsmith looks at: YAML and JSON. Whether a YAML file is a manifest at all is the
// engine's call (unrelated YAML lints to nothing), so this only filters by language and extension.
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { languageOf, type ManifestLanguage } from '../engine/manifest/language';

const LANGUAGES = new Set(['yaml', 'json', 'jsonc']);
const EXTENSIONS = /\.(ya?ml|json)$/i;

export function isCheckable(doc: TextDocument): boolean {
  return LANGUAGES.has(doc.languageId) || EXTENSIONS.test(fileNameOf(doc.uri));
}

/** The last path segment of a URI, decoded: the engine uses it to tell JSON from YAML and in messages. */
export function fileNameOf(uri: string): string {
  const path = uri.replace(/[?#].*$/, '');
  const last = path.slice(path.lastIndexOf('/') + 1);
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

/**
 * The syntax a document is held to. A `.json`, `.yaml` or `.yml` name decides, as it does for `podsmith lint`,
 * so the editor and the command line agree on the same file; a name that says nothing (untitled documents)
 * leaves it to the editor's language id. `jsonc` counts as JSON: kubectl rejects comments all the same.
 */
export function languageOfDocument(doc: TextDocument): ManifestLanguage {
  return languageOf({ fileName: lintFileName(doc) });
}

/** A file name the engine reads as the document's language, even when the URI has no telling extension. */
export function lintFileName(doc: TextDocument): string {
  const name = fileNameOf(doc.uri);
  if (EXTENSIONS.test(name)) return name;
  return doc.languageId === 'json' || doc.languageId === 'jsonc' ? `${name}.json` : `${name}.yaml`;
}
