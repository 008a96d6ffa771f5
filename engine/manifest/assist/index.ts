// Editor assistance over manifest text: hover, completion, outline and quick-fix selection. Pure functions
// on text and offsets; the language server only translates them to LSP.
export { analyze, analysisOf, documentAt, type Analysis } from './analysis';
export { hoverAt, type HoverInfo, type AssistOptions } from './hover';
export { completeAt, type CompletionEntry, type CompletionOptions } from './completion';
export { cursorContext, type CursorContext } from './context';
export { documentSymbols, type SymbolNode, type SymbolKindName } from './symbols';
export { fixableAt, preferredEdits, rangesTouch, sameRange } from './actions';
export { limitNote } from './limits';
export { fieldAt, childFields, placement, type Describe } from './schema-view';
