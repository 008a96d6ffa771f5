// Checkers for what crosses the daemon's boundary. messages.ts declares each request's params as one checker,
// typed by the params interface (so TypeScript holds the two together), and the daemon runs it on every
// request before anything acts on it: a wrong type or size becomes an error naming the field
// (`gracePeriodSeconds must be an integer 0..300, got "x"`), never a crash or a surprising action.
// Hand-written rather than JSON Schema because the messages must read like that and sizes count UTF-8 bytes.

/** A request's params (or one field of them) were refused; `field` is the dotted path ("size.columns"). */
export class InvalidParams extends Error {
  override name = 'InvalidParams';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Check<T, Optional extends boolean = boolean> {
  /** What a valid value is, for messages: "an integer 0..300". */
  readonly expects: string;
  /** The field may be absent from its object. */
  readonly optional: Optional;
  /** The value (a fresh copy for objects and arrays) when valid; throws InvalidParams naming `path` otherwise. */
  parse(value: unknown, path: string): T;
}

/** One checker per field of P: optional fields take optional() (or withDefault()) checkers, required ones not. */
export type Shape<P> = {
  [K in keyof P]-?: undefined extends P[K] ? Check<P[K], true> : Check<P[K]>;
};

const label = (path: string): string => path || 'params';
const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

function refuse(path: string, expects: string, value: unknown): never {
  if (value === undefined) throw new InvalidParams(label(path), `${label(path)} is required (${expects})`);
  throw new InvalidParams(label(path), `${label(path)} must be ${expects}, got ${show(value)}`);
}

/** A short, safe rendering of a refused value: short strings quoted, long ones only measured. */
export function show(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return value.length <= 40 ? JSON.stringify(value) : `a string of ${Buffer.byteLength(value)} bytes`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

const MAX_SHOWN_BYTES = (n: number): string => (n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : n % 1024 === 0 ? `${n / 1024} KiB` : `${n} bytes`);

export interface StringOptions {
  /** Largest size in UTF-8 bytes (every string has a bound). */
  maxBytes: number;
  /** Refuse the empty string. */
  nonEmpty?: boolean;
  /** Allow NUL characters (manifest text: the linter says what is wrong with it); refused otherwise. */
  nul?: boolean;
}

export function string(o: StringOptions): Check<string, false> {
  const expects = `a${o.nonEmpty ? ' non-empty' : ''} string of at most ${MAX_SHOWN_BYTES(o.maxBytes)}`;
  return {
    expects,
    optional: false,
    parse(value, path) {
      if (typeof value !== 'string' || (o.nonEmpty && value === '')) refuse(path, expects, value);
      // Cheap bound first: a UTF-8 byte is at least one UTF-16 unit, at most three per unit.
      if (value.length > o.maxBytes || (value.length * 3 > o.maxBytes && Buffer.byteLength(value) > o.maxBytes)) refuse(path, expects, value);
      if (!o.nul && value.includes('\0')) throw new InvalidParams(label(path), `${label(path)} must not contain NUL characters`);
      return value;
    },
  };
}

export function integer(min: number, max: number): Check<number, false> {
  const expects = `an integer ${min}..${max}`;
  return {
    expects,
    optional: false,
    parse(value, path) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) refuse(path, expects, value);
      return value;
    },
  };
}

export function boolean(): Check<boolean, false> {
  const expects = 'true or false';
  return {
    expects,
    optional: false,
    parse(value, path) {
      if (typeof value !== 'boolean') refuse(path, expects, value);
      return value;
    },
  };
}

export function oneOf<const V extends string>(...values: V[]): Check<V, false> {
  const expects = `one of ${values.join(', ')}`;
  return {
    expects,
    optional: false,
    parse(value, path) {
      if (!values.includes(value as V)) refuse(path, expects, value);
      return value as V;
    },
  };
}

export interface ArrayOptions {
  min?: number;
  max: number;
  /** Bound on the UTF-8 bytes of every string inside, together (a command line, a set of manifests). */
  maxTotalBytes?: number;
}

export function array<T>(item: Check<T>, o: ArrayOptions): Check<T[], false> {
  const min = o.min ?? 0;
  const expects = `an array of ${min > 0 ? `${min}..${o.max}` : `at most ${o.max}`} items (each ${item.expects})`;
  return {
    expects,
    optional: false,
    parse(value, path) {
      if (!Array.isArray(value) || value.length < min || value.length > o.max) refuse(path, expects, value);
      const out = value.map((v, i) => item.parse(v, `${label(path)}[${i}]`));
      if (o.maxTotalBytes !== undefined) {
        const total = stringBytes(out);
        if (total > o.maxTotalBytes) {
          throw new InvalidParams(label(path), `${label(path)} must hold at most ${MAX_SHOWN_BYTES(o.maxTotalBytes)} of text in all, got ${total} bytes`);
        }
      }
      return out;
    },
  };
}

function stringBytes(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + stringBytes(x), 0);
  if (v && typeof v === 'object') return Object.values(v).reduce((n: number, x) => n + stringBytes(x), 0);
  return 0;
}

export interface ObjectOptions {
  /** Ignore fields the shape does not name (the handshake, so a newer client can still learn the version). */
  extraFields?: 'refuse' | 'ignore';
}

/** A plain object with exactly the fields of `shape` (unknown fields are refused: a typo must not pass unseen). */
export function object<P>(shape: Shape<P>, o: ObjectOptions = {}): Check<P, false> {
  const fields = Object.keys(shape) as (keyof P & string)[];
  const expects = 'an object';
  return {
    expects,
    optional: false,
    parse(value, path) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse(path, expects, value);
      const given = value as Record<string, unknown>;
      if (o.extraFields !== 'ignore') {
        for (const key of Object.keys(given)) {
          if (!Object.prototype.hasOwnProperty.call(shape, key)) {
            const shown = key.length <= 40 ? key : `${key.slice(0, 40)}…`;
            throw new InvalidParams(join(path, shown), `unknown field ${JSON.stringify(join(path, shown))}${fields.length ? ` (known: ${fields.join(', ')})` : ' (this request takes none)'}`);
          }
        }
      }
      const out: Partial<P> = {};
      for (const key of fields) {
        const check = shape[key] as Check<unknown>;
        const v = Object.prototype.hasOwnProperty.call(given, key) ? given[key] : undefined;
        if (v === undefined && !check.optional) refuse(join(path, key), check.expects, undefined);
        const parsed = check.parse(v, join(path, key));
        if (parsed !== undefined) out[key] = parsed as P[typeof key];
      }
      return out as P;
    },
  };
}

/** The field may be left out. */
export function optional<T>(check: Check<T>): Check<T | undefined, true> {
  return {
    expects: check.expects,
    optional: true,
    parse: (value, path) => (value === undefined ? undefined : check.parse(value, path)),
  };
}

/** The field may be left out and then reads as `fallback`. */
export function withDefault<T>(check: Check<T>, fallback: T): Check<T, true> {
  return {
    expects: check.expects,
    optional: true,
    parse: (value, path) => (value === undefined ? fallback : check.parse(value, path)),
  };
}
