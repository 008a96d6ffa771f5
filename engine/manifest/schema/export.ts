// The schema as a standalone document for other tools (yaml-language-server, kubeconform-style
// validators): a Pod at the root, the same strict definitions, without Podsmith's own annotations.
import { BASE64_PATTERN, DATE_TIME_PATTERN, QUANTITY_PATTERN } from './formats';
import { SCHEMA } from './model';

// yaml-language-server shows `patternErrorMessage` instead of echoing the regular expression.
const PATTERN_MESSAGES: Record<string, string> = {
  [QUANTITY_PATTERN]: 'Not a valid Kubernetes quantity: use a number with an optional suffix, e.g. 500m, 128Mi, 1Gi or 2.',
  [BASE64_PATTERN]: 'Not valid base64.',
};

function forExport(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(forExport);
  if (node === null || typeof node !== 'object') return node;
  const src = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === 'x-podsmith-type') continue;
    // `format: date-time` says the same to any validator that knows formats; both would report it twice.
    if (k === 'pattern' && v === DATE_TIME_PATTERN) continue;
    // Property and definition names are data, not keywords: recurse into their values only.
    out[k] =
      (k === 'properties' || k === 'definitions') && v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([name, child]) => [name, forExport(child)]))
        : forExport(v);
  }
  if (typeof src.pattern === 'string' && PATTERN_MESSAGES[src.pattern]) out.patternErrorMessage = PATTERN_MESSAGES[src.pattern];
  return out;
}

/** A draft-07 JSON Schema for one Pod document, with `definitions` and local `$ref`s only. */
export function exportSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Kubernetes Pod (core/v1)',
    description: SCHEMA.definitions.Pod.description,
    $comment: `${SCHEMA.$comment} Exported by podsmith schema --export.`,
    $ref: '#/definitions/Pod',
    definitions: forExport(SCHEMA.definitions),
  };
}
