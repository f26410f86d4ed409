/**
 * In-memory values and the comparisons Postgres would make on them. A comparison runs in one
 * domain, chosen by the binder; both sides are read into that domain's value kind first.
 */
import { compareDecimal, type Decimal } from './decimal.ts';

export type Domain = 'exact' | 'float' | 'text' | 'bpchar' | 'uuid' | 'bool' | 'date' | 'timestamp' | 'timestamptz';

export type Value =
  /** int2/int4/int8/numeric */
  | { readonly type: 'exact'; readonly value: Decimal }
  /** float4 values are held as the double they widen to */
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'text'; readonly value: string }
  /** 32 lower-case hex digits */
  | { readonly type: 'uuid'; readonly value: string }
  | { readonly type: 'bool'; readonly value: boolean }
  /** days since 1970-01-01, ±Infinity for ±infinity */
  | { readonly type: 'date'; readonly value: number }
  /** microseconds since 1970-01-01 00:00 (UTC for timestamptz), Postgres's int64 sentinels for ±infinity */
  | { readonly type: 'timestamp'; readonly value: bigint };

/** Postgres float ordering: NaN equals NaN and sorts above everything, -0 equals 0. */
export function compareFloat(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Code-point order, which is byte order of the UTF-8 encoding — what `COLLATE "C"` compares.
 * (JS `<` compares UTF-16 code units, which puts U+E000..U+FFFF above astral characters.)
 */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      // Surrogates (astral code points) sort after U+E000..U+FFFF.
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return Math.sign(a.length - b.length);
}

/** char(n) comparisons ignore trailing spaces (bpchareq/bpcharcmp). */
export function trimTrailingSpaces(value: string): string {
  let end = value.length;
  while (end > 0 && value.charCodeAt(end - 1) === 0x20) end--;
  return end === value.length ? value : value.slice(0, end);
}

function mismatch(domain: Domain, a: Value, b: Value): Error {
  return new TypeError(`Cannot compare ${a.type} with ${b.type} in domain ${domain}`);
}

export function compareValues(domain: Domain, a: Value, b: Value): number {
  switch (domain) {
    case 'exact':
      if (a.type === 'exact' && b.type === 'exact') return compareDecimal(a.value, b.value);
      break;
    case 'float':
      if (a.type === 'float' && b.type === 'float') return compareFloat(a.value, b.value);
      break;
    case 'text':
      if (a.type === 'text' && b.type === 'text') return compareCodePoints(a.value, b.value);
      break;
    case 'bpchar':
      if (a.type === 'text' && b.type === 'text') return compareCodePoints(trimTrailingSpaces(a.value), trimTrailingSpaces(b.value));
      break;
    case 'uuid':
      if (a.type === 'uuid' && b.type === 'uuid') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
      break;
    case 'bool':
      if (a.type === 'bool' && b.type === 'bool') return Number(a.value) - Number(b.value);
      break;
    case 'date':
      if (a.type === 'date' && b.type === 'date') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
      break;
    case 'timestamp':
    case 'timestamptz':
      if (a.type === 'timestamp' && b.type === 'timestamp') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
      break;
  }
  throw mismatch(domain, a, b);
}
