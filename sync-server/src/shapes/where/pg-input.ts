/**
 * Reads a client-supplied value (a `params[n]` or a quoted literal) as a column type. Deliberately
 * a strict subset of Postgres's input syntax: whatever is accepted comes back as a canonical text
 * that Postgres reads as exactly the in-memory value — under any DateStyle or TimeZone — and is
 * what gets sent with the snapshot query, so SQL and memory compare the very same value.
 * Anything else is refused here rather than by the database later.
 */
import {
  TIMESTAMP_INFINITY,
  TIMESTAMP_MINUS_INFINITY,
  daysFromCivil,
  formatDate,
  formatTimestamp,
  fractionToMicros,
  isValidDate,
  timestampMicros,
} from './calendar.ts';
import { formatDecimal, parsePlainDecimal, type Decimal } from './decimal.ts';
import type { FilterableType } from './pg-type.ts';
import type { Value } from './value.ts';

export interface InputValue {
  readonly value: Value;
  /** Text Postgres's input function for `type` reads back as `value`. */
  readonly sqlText: string;
}

export type InputResult = { readonly ok: true; readonly input: InputValue } | { readonly ok: false; readonly reason: string };

const INT_RANGES = {
  int2: [-(2n ** 15n), 2n ** 15n - 1n],
  int4: [-(2n ** 31n), 2n ** 31n - 1n],
  int8: [-(2n ** 63n), 2n ** 63n - 1n],
} as const;

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?$/;
const UUID = /^\{?([0-9a-fA-F]{8})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{4})-?([0-9a-fA-F]{12})\}?$/;
const DATE = /^(\d{4})-(\d\d)-(\d\d)$/;
const TIMESTAMP = /^(\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?)?$/;
const TIMESTAMPTZ = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)? ?([zZ]|[+-][\d:]+)$/;
/** ±HH, ±HHMM, ±HH:MM or ±HH:MM:SS (Postgres reads a compact ±HHMMSS differently). */
const OFFSET = /^([+-])(\d\d)(?:(\d\d)|:(\d\d)(?::(\d\d))?)?$/;
const TRUE_WORDS = new Set(['t', 'true', 'y', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['f', 'false', 'n', 'no', 'off', '0']);
const MAX_EXPONENT = 1000;

const ok = (value: Value, sqlText: string): InputResult => ({ ok: true, input: { value, sqlText } });
const fail = (reason: string): InputResult => ({ ok: false, reason });

function special(text: string): 'nan' | 'infinity' | '-infinity' | undefined {
  const lower = text.toLowerCase();
  if (lower === 'nan') return 'nan';
  if (lower === 'infinity' || lower === '+infinity' || lower === 'inf' || lower === '+inf') return 'infinity';
  if (lower === '-infinity' || lower === '-inf') return '-infinity';
  return undefined;
}

/** Exact value of a decimal with an optional exponent, or undefined if the text is not one. */
export function parseDecimalInput(text: string): Decimal | 'exponent' | undefined {
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const exponent = Number(match[3] ?? '0');
  if (Math.abs(exponent) > MAX_EXPONENT) return 'exponent';
  const plain = parsePlainDecimal(`${match[1]}${match[2]}`);
  if (plain === undefined || plain.kind !== 'finite') return undefined;
  let { units, scale } = plain;
  scale -= exponent;
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { kind: 'finite', units, scale };
}

function readInteger(text: string, type: 'int2' | 'int4' | 'int8'): InputResult {
  if (!INTEGER.test(text)) return fail(`expected a whole number for ${type}`);
  const value = BigInt(text);
  const [min, max] = INT_RANGES[type];
  if (value < min || value > max) return fail(`${text} is out of range for ${type}`);
  return ok({ type: 'exact', value: { kind: 'finite', units: value, scale: 0 } }, value.toString());
}

function readNumeric(text: string): InputResult {
  const kind = special(text);
  if (kind === 'nan') return ok({ type: 'exact', value: { kind: 'nan' } }, 'NaN');
  if (kind !== undefined) {
    const value: Decimal = { kind: 'infinity', negative: kind === '-infinity' };
    return ok({ type: 'exact', value }, formatDecimal(value));
  }
  const value = parseDecimalInput(text);
  if (value === 'exponent') return fail(`the exponent is outside ±${MAX_EXPONENT}`);
  if (value === undefined) return fail('expected a decimal number for numeric');
  return ok({ type: 'exact', value }, formatDecimal(value));
}

/** Shortest text that reads back as exactly this double ("-0" keeps its sign). */
export function formatFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return Object.is(value, -0) ? '-0' : String(value);
}

/** A finite decimal's nearest float, refusing overflow and underflow to zero as Postgres does. */
export function decimalToFloat(text: string, type: 'float4' | 'float8'): InputResult {
  const match = DECIMAL.exec(text);
  if (!match) return fail(`expected a number for ${type}`);
  const double = Number(text);
  const value = type === 'float4' ? Math.fround(double) : double;
  if (!Number.isFinite(value)) return fail(`${text} is out of range for ${type}`);
  if (value === 0 && /[1-9]/.test(match[2]!)) return fail(`${text} is too close to zero for ${type}`);
  return ok({ type: 'float', value }, formatFloat(value));
}

function readFloat(text: string, type: 'float4' | 'float8'): InputResult {
  const kind = special(text);
  if (kind !== undefined) {
    const value = kind === 'nan' ? Number.NaN : kind === 'infinity' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    return ok({ type: 'float', value }, formatFloat(value));
  }
  return decimalToFloat(text, type);
}

function dateDays(yearText: string, monthText: string, dayText: string): number | undefined {
  const year = Number(yearText);
  const month = Number(monthText);
  const day = Number(dayText);
  if (year < 1 || !isValidDate(year, month, day)) return undefined;
  return daysFromCivil(year, month, day);
}

/** Postgres 15 reads no '+infinity' for dates and timestamps. */
function infinity(text: string): 'infinity' | '-infinity' | undefined {
  const lower = text.toLowerCase();
  if (lower === 'infinity') return 'infinity';
  if (lower === '-infinity') return '-infinity';
  return undefined;
}

function readDate(text: string): InputResult {
  const inf = infinity(text);
  if (inf !== undefined) {
    return ok({ type: 'date', value: inf === 'infinity' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY }, inf);
  }
  const match = DATE.exec(text);
  const days = match ? dateDays(match[1]!, match[2]!, match[3]!) : undefined;
  if (days === undefined) return fail('expected a date as YYYY-MM-DD (years 0001-9999), infinity or -infinity');
  return ok({ type: 'date', value: days }, formatDate(days));
}

function timeOfDay(hour: string | undefined, minute: string | undefined, second: string | undefined): [number, number, number] | undefined {
  const h = Number(hour ?? 0);
  const m = Number(minute ?? 0);
  const s = Number(second ?? 0);
  return h <= 23 && m <= 59 && s <= 59 ? [h, m, s] : undefined;
}

function readTimestamp(text: string, withZone: boolean): InputResult {
  const inf = infinity(text);
  if (inf !== undefined) {
    return ok({ type: 'timestamp', value: inf === 'infinity' ? TIMESTAMP_INFINITY : TIMESTAMP_MINUS_INFINITY }, inf);
  }
  const match = (withZone ? TIMESTAMPTZ : TIMESTAMP).exec(text);
  const days = match ? dateDays(match[1]!, match[2]!, match[3]!) : undefined;
  const time = match ? timeOfDay(match[4], match[5], match[6]) : undefined;
  if (!match || days === undefined || time === undefined) {
    return fail(
      withZone
        ? 'expected an ISO 8601 timestamp with a UTC offset, such as 2026-11-24T19:23:01.123Z or 2026-11-24 19:23:01+05:30 (years 0001-9999)'
        : 'expected an ISO 8601 timestamp without a UTC offset, such as 2026-11-24 19:23:01.123 (years 0001-9999)',
    );
  }
  let micros = timestampMicros(days, time[0], time[1], time[2], fractionToMicros(match[7] ?? ''));
  if (!withZone) return ok({ type: 'timestamp', value: micros }, formatTimestamp(micros, ''));
  const zone = match[8]!;
  if (zone !== 'z' && zone !== 'Z') {
    const offsetMatch = OFFSET.exec(zone);
    if (!offsetMatch) return fail('the UTC offset must be written Z, ±HH, ±HHMM, ±HH:MM or ±HH:MM:SS');
    const hours = Number(offsetMatch[2]);
    const minutes = Number(offsetMatch[3] ?? offsetMatch[4] ?? 0);
    const seconds = Number(offsetMatch[5] ?? 0);
    if (hours > 15 || minutes > 59 || seconds > 59) return fail('the UTC offset is out of range');
    const offset = BigInt(((hours * 60 + minutes) * 60 + seconds) * 1_000_000);
    micros -= offsetMatch[1] === '-' ? -offset : offset;
  }
  return ok({ type: 'timestamp', value: micros }, formatTimestamp(micros, '+00'));
}

function hasNul(text: string): boolean {
  return text.includes('\u0000');
}

/** Reads `text` as a value of a column of `type`. */
export function readInput(text: string, type: FilterableType): InputResult {
  if (hasNul(text)) return fail('it contains a NUL character');
  if (/\p{Surrogate}/u.test(text)) return fail('it contains an unpaired UTF-16 surrogate');
  switch (type) {
    case 'int2':
    case 'int4':
    case 'int8':
      return readInteger(text, type);
    case 'numeric':
      return readNumeric(text);
    case 'float4':
    case 'float8':
      return readFloat(text, type);
    case 'text':
    case 'varchar':
    case 'bpchar':
      return ok({ type: 'text', value: text }, text);
    case 'uuid': {
      const match = UUID.exec(text);
      if (!match || text.startsWith('{') !== text.endsWith('}')) return fail('expected a UUID such as 0b9a5f6e-3c1d-4f2a-9e8b-7c6d5e4f3a2b');
      const hex = match.slice(1).join('').toLowerCase();
      return ok({ type: 'uuid', value: hex }, `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`);
    }
    case 'bool': {
      const lower = text.toLowerCase();
      if (TRUE_WORDS.has(lower)) return ok({ type: 'bool', value: true }, 'true');
      if (FALSE_WORDS.has(lower)) return ok({ type: 'bool', value: false }, 'false');
      return fail('expected true or false (t/f, yes/no, on/off, 1/0)');
    }
    case 'date':
      return readDate(text);
    case 'timestamp':
      return readTimestamp(text, false);
    case 'timestamptz':
      return readTimestamp(text, true);
  }
}
