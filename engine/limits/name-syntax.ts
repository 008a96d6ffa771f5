// Kubernetes name syntax: RFC 1123 labels and subdomains, label keys (qualified names) and label values,
// with repairs that turn a near miss (`My_App`) into a valid name (`my-app`).

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export const DNS_LABEL_MAX = 63;
export const DNS_SUBDOMAIN_MAX = 253;
export const QUALIFIED_NAME_MAX = 63;
export const LABEL_VALUE_MAX = 63;

/** Why `name` is not an RFC 1123 label of at most `max` characters, or undefined when it is one. */
export function dnsLabelProblem(name: string, max = DNS_LABEL_MAX): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > max) return `it is ${name.length} characters long (at most ${max})`;
  if (!DNS_LABEL.test(name)) return 'it may only hold lowercase letters, digits and "-", and must start and end with a letter or digit';
  return undefined;
}

/** Why `name` is not an RFC 1123 subdomain of at most `max` characters, or undefined when it is one. */
export function dnsSubdomainProblem(name: string, max = DNS_SUBDOMAIN_MAX): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > max) return `it is ${name.length} characters long (at most ${max})`;
  if (!DNS_SUBDOMAIN.test(name)) {
    return 'it may only hold lowercase letters, digits, "-" and ".", and each dot-separated part must start and end with a letter or digit';
  }
  return undefined;
}

/** Why `key` is not a valid label or annotation key (`[prefix/]name`), or undefined when it is one. */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'it may hold at most one "/" (between an optional DNS prefix and the name)';
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefixProblem = dnsSubdomainProblem(parts[0]);
    if (prefixProblem) return `its prefix "${parts[0]}" is not a DNS subdomain: ${prefixProblem}`;
  }
  if (name.length === 0) return 'its name part is empty';
  if (name.length > QUALIFIED_NAME_MAX) return `its name part is ${name.length} characters long (at most ${QUALIFIED_NAME_MAX})`;
  if (!QUALIFIED_NAME.test(name)) {
    return 'its name part may only hold letters, digits, "-", "_" and ".", and must start and end with a letter or digit';
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined when it is one (the empty value is valid). */
export function labelValueProblem(value: string): string | undefined {
  if (value.length === 0) return undefined;
  if (value.length > LABEL_VALUE_MAX) return `it is ${value.length} characters long (at most ${LABEL_VALUE_MAX})`;
  if (!QUALIFIED_NAME.test(value)) {
    return 'it may only hold letters, digits, "-", "_" and ".", and must start and end with a letter or digit';
  }
  return undefined;
}

// ---- repairs ------------------------------------------------------------------------------------------------

/** Trims characters that may not start or end a name, then cuts to `max` and trims again. */
function trimTo(s: string, max: number, edge: RegExp): string {
  let out = s.replace(new RegExp(`^${edge.source}+|${edge.source}+$`, 'g'), '');
  if (out.length > max) out = out.slice(0, max).replace(new RegExp(`${edge.source}+$`), '');
  return out;
}

/** The closest RFC 1123 label, or undefined when nothing usable is left (`My_App` → `my-app`). */
export function toDnsLabel(name: string, max = DNS_LABEL_MAX): string | undefined {
  const out = trimTo(name.toLowerCase().replace(/[^a-z0-9-]+/g, '-'), max, /[^a-z0-9]/);
  return out || undefined;
}

/** The closest RFC 1123 subdomain, or undefined when nothing usable is left. */
export function toDnsSubdomain(name: string, max = DNS_SUBDOMAIN_MAX): string | undefined {
  const parts = name
    .toLowerCase()
    .split('.')
    .map((p) => trimTo(p.replace(/[^a-z0-9-]+/g, '-'), DNS_LABEL_MAX, /[^a-z0-9]/))
    .filter((p) => p.length > 0);
  const out = trimTo(parts.join('.'), max, /[^a-z0-9]/);
  return out || undefined;
}

/** The closest valid label value, or undefined when nothing usable is left. */
export function toLabelValue(value: string): string | undefined {
  const out = trimTo(value.replace(/[^A-Za-z0-9_.-]+/g, '-'), LABEL_VALUE_MAX, /[^A-Za-z0-9]/);
  return out || undefined;
}

/** The closest valid label key, keeping a prefix when one is present. */
export function toQualifiedName(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const name = toLabelValue(slash < 0 ? key : key.slice(slash + 1));
  if (!name) return undefined;
  if (slash < 0) return name;
  const prefix = toDnsSubdomain(key.slice(0, slash));
  return prefix ? `${prefix}/${name}` : name;
}
