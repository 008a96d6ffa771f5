// workload-selector and workload-name: what the API server refuses in a workload itself, beside its pod
// template. A Deployment, ReplicaSet, StatefulSet or DaemonSet must have a non-empty selector that selects
// its own template's labels (a Job only when it sets manualSelector; otherwise Kubernetes generates one),
// and every workload's name must be an RFC 1123 subdomain (a CronJob's at most 52 characters, since its
// jobs append 11). Report paths are from the document root.
import { dnsSubdomainProblem, DNS_SUBDOMAIN_MAX, toDnsSubdomain } from '../../limits/name-syntax';
import { arrField, field, isObj, objField, shown, strField, type Obj } from '../../limits/pod-walk';
import type { ManifestDocument } from '../documents';
import type { FixSpec, Report } from '../report';
import type { Path } from '../types';

const SELECTOR_RULE = 'workload-selector';
const NAME_RULE = 'workload-name';

/** Kinds whose selector the user writes and the API server checks against the template. */
const SELECTED_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet']);
const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);
/** CronJob names leave room for the `-<timestamp>` suffix of their jobs, whose names are at most 63. */
const CRONJOB_NAME_MAX = 52;

export function checkWorkload(doc: ManifestDocument): Report[] {
  if (doc.role !== 'workload' || !doc.kind || !doc.podPath) return [];
  return [...checkName(doc), ...checkSelector(doc)];
}

function checkName(doc: ManifestDocument): Report[] {
  const name = strField(objField(doc.value, 'metadata'), 'name');
  if (name === undefined) return [];
  const max = doc.kind === 'CronJob' ? CRONJOB_NAME_MAX : DNS_SUBDOMAIN_MAX;
  const problem = dnsSubdomainProblem(name, max);
  if (!problem) return [];
  const fixed = toDnsSubdomain(name, max);
  return [
    {
      rule: NAME_RULE,
      path: ['metadata', 'name'],
      message: `${doc.kind} name ${shown(name)} is not an RFC 1123 subdomain (at most ${max} characters): ${problem}. The API server rejects it.${fixed ? ` Use ${shown(fixed)} instead.` : ''}`,
      fixes: fixed ? [{ kind: 'set-value', title: `Rename to "${fixed}"`, value: fixed, preferred: true }] : [],
    },
  ];
}

interface Requirement {
  key: string;
  operator: string;
  values: string[];
  index: number;
}

function checkSelector(doc: ManifestDocument): Report[] {
  const spec = objField(doc.value, 'spec');
  const kind = doc.kind!;
  const manual = kind === 'Job' && field(spec, 'manualSelector') === true;
  if (!SELECTED_KINDS.has(kind) && !manual) return [];
  const template = doc.podPath!;
  const selector = field(spec, 'selector');
  const labels = templateLabels(doc.value, template);
  if (selector === undefined || selector === null) {
    if (!spec) return [];
    const why = manual ? 'a Job with manualSelector: true needs spec.selector' : `a ${kind} needs spec.selector`;
    const fix = labels && Object.keys(labels).length > 0 ? [insertSelector(labels)] : [];
    return [{ rule: SELECTOR_RULE, path: ['spec'], target: 'key', message: `${capital(why)}, matching the labels of its pod template; the API server rejects it without one.`, fixes: fix }];
  }
  if (!isObj(selector)) return []; // the wrong type is the schema's to report

  const matchLabels = objField(selector, 'matchLabels') ?? {};
  const out: Report[] = [];
  const requirements: Requirement[] = [];
  for (const [index, item] of (arrField(selector, 'matchExpressions') ?? []).entries()) {
    if (!isObj(item)) continue;
    const req = requirementOf(item, index);
    const problem = req ? requirementProblem(req) : undefined;
    if (problem) out.push({ rule: SELECTOR_RULE, path: ['spec', 'selector', 'matchExpressions', index, ...problem.at], message: problem.message });
    else if (req) requirements.push(req);
  }
  const expressions = arrField(selector, 'matchExpressions')?.length ?? 0;
  if (!manual && Object.keys(matchLabels).length === 0 && expressions === 0) {
    out.push({
      rule: SELECTOR_RULE,
      path: ['spec', 'selector'],
      target: 'key',
      message: `An empty selector is invalid for a ${kind}: it would select every pod in the namespace. Select the template's labels with matchLabels.`,
    });
    return out;
  }
  // An invalid requirement makes the selector unusable; the API server reports only that, and so do we.
  if (out.length > 0 || labels === undefined || !Object.values(matchLabels).every((v) => typeof v === 'string')) return out;
  return [...out, ...mismatches(doc, template, matchLabels as Record<string, string>, requirements, labels)];
}

/** The template's labels, or undefined when they are not a map of strings (the schema reports that). */
function templateLabels(value: unknown, template: Path): Record<string, string> | undefined {
  let node: unknown = value;
  for (const seg of template) node = field(node, String(seg));
  const raw = field(objField(node, 'metadata'), 'labels');
  if (raw === undefined || raw === null) return {};
  if (!isObj(raw) || !Object.values(raw).every((v) => typeof v === 'string')) return undefined;
  return raw as Record<string, string>;
}

function requirementOf(item: Obj, index: number): Requirement | undefined {
  const key = strField(item, 'key');
  const operator = strField(item, 'operator');
  const values = field(item, 'values');
  if (key === undefined || operator === undefined) return undefined; // missing fields are the schema's
  if (values !== undefined && values !== null && !(Array.isArray(values) && values.every((v) => typeof v === 'string'))) return undefined;
  return { key, operator, values: (values as string[] | null | undefined) ?? [], index };
}

function requirementProblem(r: Requirement): { at: Path; message: string } | undefined {
  if (!OPERATORS.has(r.operator)) {
    return { at: ['operator'], message: `A selector operator must be In, NotIn, Exists or DoesNotExist; ${shown(r.operator)} is none of them.` };
  }
  if ((r.operator === 'In' || r.operator === 'NotIn') && r.values.length === 0) {
    return { at: ['operator'], message: `A selector requirement with operator ${r.operator} needs at least one value in values.` };
  }
  if ((r.operator === 'Exists' || r.operator === 'DoesNotExist') && r.values.length > 0) {
    return { at: ['values'], message: `A selector requirement with operator ${r.operator} takes no values; remove them.` };
  }
  return undefined;
}

function matches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  switch (r.operator) {
    case 'In':
      return has && r.values.includes(labels[r.key]);
    case 'NotIn':
      return !has || !r.values.includes(labels[r.key]);
    case 'Exists':
      return has;
    default:
      return !has;
  }
}

function mismatches(
  doc: ManifestDocument,
  template: Path,
  matchLabels: Record<string, string>,
  requirements: Requirement[],
  labels: Record<string, string>,
): Report[] {
  const out: Report[] = [];
  const where = `the pod template (${template.join('.')}.metadata.labels)`;
  const missing = Object.entries(matchLabels).filter(([k]) => !Object.prototype.hasOwnProperty.call(labels, k));
  if (missing.length > 0 && Object.keys(labels).length === 0) {
    // One report and one fix that adds every label, so applying all fixes cannot add `labels` twice.
    const wanted = Object.fromEntries(missing);
    out.push({
      rule: SELECTOR_RULE,
      path: ['spec', 'selector', 'matchLabels'],
      target: 'key',
      message: `The selector of ${doc.kind} does not match its pod template: the template has no labels, and the selector needs ${pairs(wanted)}. The API server rejects it; add the labels to the template.`,
      fixes: [addTemplateLabels(doc, template, wanted)],
    });
  } else {
    for (const [k, v] of Object.entries(matchLabels)) {
      const has = Object.prototype.hasOwnProperty.call(labels, k);
      if (has && labels[k] === v) continue;
      const fixes: FixSpec[] = has
        ? [
            { kind: 'set-value', title: `Set the template's label ${k} to ${v}`, value: v, at: [...template, 'metadata', 'labels', k] },
            { kind: 'set-value', title: `Select ${k}=${labels[k]} instead`, value: labels[k] },
          ]
        : [{ kind: 'insert-field', title: `Add label ${k}: ${v} to the pod template`, key: k, value: v, preferred: true, at: [...template, 'metadata', 'labels'] }];
      out.push({
        rule: SELECTOR_RULE,
        path: ['spec', 'selector', 'matchLabels', k],
        target: 'pair',
        message: has
          ? `The selector needs label ${k}=${v}, but ${where} sets ${k}=${labels[k]}. The API server rejects a selector that does not match the template.`
          : `The selector needs label ${k}=${v}, which ${where} does not have. The API server rejects a selector that does not match the template.`,
        fixes,
      });
    }
  }
  for (const r of requirements) {
    if (matches(r, labels)) continue;
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const now = has ? `the template has ${r.key}=${labels[r.key]}` : `the template has no label ${r.key}`;
    out.push({
      rule: SELECTOR_RULE,
      path: ['spec', 'selector', 'matchExpressions', r.index],
      message: `The selector requirement "${r.key} ${r.operator}${r.values.length ? ` (${r.values.join(', ')})` : ''}" does not match the pod template: ${now}. The API server rejects a selector that does not match the template.`,
    });
  }
  return out;
}

/** Adds labels to the template, wherever its metadata ends: into `labels`, or a new `labels` or `metadata`. */
function addTemplateLabels(doc: ManifestDocument, template: Path, wanted: Record<string, string>): FixSpec {
  let node: unknown = doc.value;
  for (const seg of template) node = field(node, String(seg));
  const meta = objField(node, 'metadata');
  const title = `Add ${pairs(wanted)} to the pod template's labels`;
  if (meta && Object.keys(meta).length > 0) return { kind: 'insert-field', title, key: 'labels', value: wanted, preferred: true, at: [...template, 'metadata'] };
  return { kind: 'insert-field', title, key: 'metadata', value: { labels: wanted }, preferred: true, at: template };
}

function insertSelector(labels: Record<string, string>): FixSpec {
  return { kind: 'insert-field', title: 'Add a selector for the template labels', key: 'selector', value: { matchLabels: labels }, preferred: true };
}

function pairs(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
