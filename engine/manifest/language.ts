// Which syntax a manifest is written in. JSON files are held to JSON (kubectl decodes them as JSON and
// rejects what YAML would forgive); everything else is YAML. Callers that know the language (the language
// server, from the editor's language id) say so; otherwise the file name's extension decides.
export type ManifestLanguage = 'yaml' | 'json';

export interface LanguageHint {
  language?: ManifestLanguage;
  /** Used for its extension when `language` is not given: `.json` is JSON. */
  fileName?: string;
}

export function languageOf(hint: LanguageHint = {}): ManifestLanguage {
  if (hint.language) return hint.language;
  return hint.fileName !== undefined && /\.json$/i.test(hint.fileName) ? 'json' : 'yaml';
}
