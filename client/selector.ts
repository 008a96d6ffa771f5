// Which documents the language server sees. Kept apart from activation so the list has one home.
import type { DocumentSelector } from 'vscode-languageclient/node';

/** Language ids Podsmith lints: the built-in YAML, JSON and JSON-with-comments languages. */
export const LANGUAGES = ['yaml', 'json', 'jsonc'] as const;

/**
 * Files on disk and unsaved editors. Other schemes (git diffs, output panes, virtual docs) are left out:
 * diagnostics there would duplicate or make no sense.
 */
export const documentSelector: DocumentSelector = LANGUAGES.flatMap((language) => [
  { scheme: 'file', language },
  { scheme: 'untitled', language },
]);

/** The configuration section pushed to the server on every change. */
export const CONFIG_SECTION = 'podsmith';
