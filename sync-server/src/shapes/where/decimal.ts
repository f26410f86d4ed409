/**
 * Exact decimals for int2/int4/int8/numeric: a bigint scaled by 10^-scale, plus numeric's
 * special values. Ordering is Postgres's numeric ordering: -Infinity < finite < Infinity < NaN,
 * and NaN equals NaN.
 */
export type Decimal =
  | { readonly kind: 'finite'; readonly units: bigint; readonly scale: number }
  | { readonly kind: 'nan' }
  | { readonly kind: 'infinity'; readonly negative: boolean };

const PLAIN = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/** Parses `[+-]digits[.digits]` (at least one digit). Returns undefined for anything else. */
export function parsePlainDecimal(text: string): Decimal | undefined {
  const match = PLAIN.exec(text);
  if (!match) return undefined;
  const whole = match[2]!;
  const fraction = match[3] ?? '';
  if (whole === '' && fraction === '') return undefined;
  const units = BigInt(`${whole}${fraction}` || '0');
  return { kind: 'finite', units: match[1] === '-' ? -units : units, scale: fraction.length };
}

export function decimalFromBigInt(value: bigint): Decimal {
  return { kind: 'finite', units: value, scale: 0 };
}

function rank(value: Decimal): number {
  if (value.kind === 'nan') return 2;
  if (value.kind === 'infinity') return value.negative ? -2 : 1;
  return 0;
}

export function compareDecimal(a: Decimal, b: Decimal): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb || a.kind !== 'finite' || b.kind !== 'finite') return Math.sign(ra - rb);
  const scale = Math.max(a.scale, b.scale);
  const left = a.units * 10n ** BigInt(scale - a.scale);
  const right = b.units * 10n ** BigInt(scale - b.scale);
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Plain decimal text Postgres's numeric input reads back as exactly this value. */
export function formatDecimal(value: Decimal): string {
  if (value.kind === 'nan') return 'NaN';
  if (value.kind === 'infinity') return value.negative ? '-Infinity' : 'Infinity';
  const negative = value.units < 0n;
  const digits = (negative ? -value.units : value.units).toString().padStart(value.scale + 1, '0');
  const whole = digits.slice(0, digits.length - value.scale);
  const fraction = digits.slice(digits.length - value.scale);
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

export function isIntegral(value: Decimal): boolean {
  if (value.kind !== 'finite') return false;
  return value.scale === 0 || value.units % 10n ** BigInt(value.scale) === 0n;
}

/** The integer value of an integral finite decimal. */
export function integerPart(value: Decimal & { kind: 'finite' }): bigint {
  return value.units / 10n ** BigInt(value.scale);
}
