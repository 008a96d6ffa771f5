// Public face of the manifest engine: pure functions over text, no I/O.
export * from './types';
export { lintText, valueAt, type LintResult } from './lint';
export { fastDocuments, type FastDocument } from './fast-values';
export { languageOf, type ManifestLanguage, type LanguageHint } from './language';
export { parseText, type ParsedFile, type ParsedDocument } from './parse';
export { classify, isManifestText, WORKLOADS, type ManifestDocument, type DocumentRole } from './documents';
export { isRunnable, podOf, type PodOf } from './pod-of';
export { locate, rangeOf, pathAt, nodeRange, type PathAtOffset, type Target } from './source-map';
export { RULES, ruleInfo, defaultSeverity, type RuleInfo } from './rules/registry';
export { validateSchema, describePath, type SchemaRoot, type FieldInfo } from './schema/index';
