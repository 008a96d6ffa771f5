// `$(VAR)` expansion with the kubelet's rules (k8s.io/kubernetes/third_party/forked/golang/expansion):
//   $(NAME)  -> the value of NAME if a source defines it, else left verbatim as `$(NAME)`
//   $$       -> `$` (so `$$(NAME)` yields the literal `$(NAME)`)
//   $(       -> without any later `)` it is left as is and scanning resumes after the `(`
//   $x       -> `$x` for any other character; a `$` at the very end stays
// Everything between `$(` and the first `)` is the name, even spaces or another `$(`. Names are not validated.
// One deliberate difference: Go copies the byte after a lone `$` as a rune, which garbles a multi-byte UTF-8
// character there; JavaScript strings keep it intact.

/** Looks a name up in each source in turn; undefined when none defines it. */
export type Lookup = (name: string) => string | undefined;

/** A lookup over maps searched in order, the first that has the name wins (the kubelet's MappingFuncFor). */
export function lookupIn(
  ...sources: (ReadonlyMap<string, string> | Readonly<Record<string, string>> | undefined)[]
): Lookup {
  return (name) => {
    for (const source of sources) {
      if (!source) continue;
      if (source instanceof Map) {
        if (source.has(name)) return source.get(name);
      } else if (Object.prototype.hasOwnProperty.call(source, name)) {
        return (source as Record<string, string>)[name];
      }
    }
    return undefined;
  };
}

export function expand(input: string, lookup: Lookup): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    // A trailing `$` has nothing after it to read, so it falls through to the final copy.
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    if (next === '$') {
      out += '$';
      cursor += 1;
    } else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close < 0) {
        // Unterminated: emit `$(` and keep scanning after it, so a later `$$` still collapses.
        out += '$(';
        cursor += 1;
      } else {
        const name = input.slice(cursor + 2, close);
        out += lookup(name) ?? `$(${name})`;
        cursor = close;
      }
    } else {
      out += '$' + next;
      cursor += 1;
    }
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}
