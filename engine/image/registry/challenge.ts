// Parses `WWW-Authenticate` (RFC 7235): one or more challenges, each a scheme followed by comma-separated
// `name=value` / `name="quoted value"` parameters, e.g.
//   Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"

export interface Challenge {
  /** Lowercased: `bearer`, `basic`. */
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const text = Array.isArray(header) ? header.join(', ') : (header ?? '');
  const out: Challenge[] = [];
  let i = 0;
  const n = text.length;
  const skip = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === ',')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && !/[\s,=]/.test(text[i])) i++;
    return text.slice(start, i);
  };
  while (i < n) {
    skip();
    const scheme = token();
    if (!scheme) {
      i++;
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    for (;;) {
      while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
      const save = i;
      skip();
      const name = token();
      while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
      if (!name || text[i] !== '=') {
        // Not a parameter: the start of the next challenge (or the end).
        i = save;
        break;
      }
      i++; // '='
      while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
      let value = '';
      if (text[i] === '"') {
        i++;
        while (i < n && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < n) i++;
          value += text[i++];
        }
        i++; // closing quote
      } else {
        value = token();
      }
      challenge.params[name.toLowerCase()] = value;
    }
  }
  return out;
}
