// Kubernetes resource quantities (`500m`, `8Gi`, `1e10`, `0.5`) as exact fractions. Floats would make
// "0.1" cores summed eighty times exceed 8 vCPUs, so values are BigInt ratios compared by cross-multiplying.

/** An exact rational value: num / den, den > 0. */
export interface Quantity {
  num: bigint;
  den: bigint;
}

const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};

const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

// The exponent alternative comes first so `1E3` is 1000 while a bare `1E` is one exa.
const QUANTITY = /^([+-]?)(\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/** Beyond this an exponent only makes a value absurdly large or small; clamping keeps BigInt work bounded. */
const MAX_EXPONENT = 400;
/** Real quantities are short; longer text is left to the schema's format check. */
const MAX_TEXT = 100;

/** Parses a quantity given as YAML text or a YAML number; anything else (or malformed text) is undefined. */
export function parseQuantity(value: unknown): Quantity | undefined {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    text = String(value);
  } else if (typeof value === 'string') text = value;
  else return undefined;
  if (text.length === 0 || text.length > MAX_TEXT) return undefined;
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const [, sign, digits, exponent, suffix = ''] = m;
  const dot = digits.indexOf('.');
  const fraction = dot < 0 ? '' : digits.slice(dot + 1);
  let num = BigInt((dot < 0 ? digits : digits.slice(0, dot)) + fraction || '0');
  let den = 10n ** BigInt(fraction.length);
  if (sign === '-') num = -num;
  let power = exponent !== undefined ? Number(exponent) : DECIMAL[suffix] ?? 0;
  if (suffix in BINARY) {
    num *= BINARY[suffix];
    power = 0;
  }
  power = Math.max(-MAX_EXPONENT, Math.min(MAX_EXPONENT, power));
  if (power >= 0) num *= 10n ** BigInt(power);
  else den *= 10n ** BigInt(-power);
  return normalize({ num, den });
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function normalize(q: Quantity): Quantity {
  const g = gcd(q.num, q.den);
  return g > 1n ? { num: q.num / g, den: q.den / g } : q;
}

export const ZERO: Quantity = { num: 0n, den: 1n };

export function quantityOf(n: number | bigint): Quantity {
  return { num: BigInt(n), den: 1n };
}

export function add(a: Quantity, b: Quantity): Quantity {
  return normalize({ num: a.num * b.den + b.num * a.den, den: a.den * b.den });
}

export function sub(a: Quantity, b: Quantity): Quantity {
  return add(a, { num: -b.num, den: b.den });
}

/** -1, 0 or 1 as a is less than, equal to or greater than b. */
export function compare(a: Quantity, b: Quantity): number {
  const l = a.num * b.den;
  const r = b.num * a.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

/** The value in whole units of 1/scale, rounded up (Kubernetes rounds cpu up to the millicore). */
function ceilUnits(q: Quantity, scale: bigint): bigint {
  const n = q.num * scale;
  const whole = n / q.den;
  return n % q.den > 0n ? whole + 1n : whole;
}

/** Memory as text a manifest would use: `8Gi`, `1536Mi`, or plain bytes when it is not a whole KiB. */
export function formatBytes(q: Quantity): string {
  const bytes = ceilUnits(q, 1n);
  for (const unit of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const) {
    if (bytes !== 0n && bytes % BINARY[unit] === 0n) return `${bytes / BINARY[unit]}${unit}`;
  }
  return String(bytes);
}

/** CPU as text a manifest would use: whole cores as `2`, otherwise millicores `1500m`. */
export function formatCpu(q: Quantity): string {
  const milli = ceilUnits(q, 1000n);
  return milli % 1000n === 0n ? String(milli / 1000n) : `${milli}m`;
}

/** Approximate number, for messages only. */
function toNumber(q: Quantity): number {
  return Number(q.num) / Number(q.den);
}

/** Memory for people: `16 GiB`, `8.38 GiB`, `512 MiB`. */
export function humanBytes(q: Quantity): string {
  const n = toNumber(q);
  const [unit, size] = n >= 2 ** 30 ? ['GiB', 2 ** 30] : n >= 2 ** 20 ? ['MiB', 2 ** 20] : n >= 2 ** 10 ? ['KiB', 2 ** 10] : ['bytes', 1];
  const v = n / (size as number);
  return `${Number.isInteger(v) ? v : v.toFixed(2)} ${unit}`;
}
