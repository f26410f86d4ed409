/**
 * Reads Postgres TEXT output (what `col::text` and logical replication produce, with the default
 * DateStyle ISO and extra_float_digits >= 1) into comparable values. Anything that is not such
 * output throws PgValueError: guessing would make live changes disagree with the snapshot.
 */
import {
  TIMESTAMP_INFINITY,
  TIMESTAMP_MINUS_INFINITY,
  astronomicalYear,
  daysFromCivil,
  fractionToMicros,
  timestampMicros,
} from './calendar.ts';
import { parsePlainDecimal, type Decimal } from './decimal.ts';
import type { FilterableType } from './pg-type.ts';
import { PgValueError } from './pg-value-error.ts';
import type { Value } from './value.ts';

const INT = /^-?\d+$/;
const FLOAT = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const UUID = /^([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})$/;
const DATE = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/;
const TIMESTAMP = /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?( BC)?$/;
const TIMESTAMPTZ =
  /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:(Z)|([+-])(\d\d)(?::(\d\d)(?::(\d\d))?)?)( BC)?$/;

function invalid(text: string, type: string): PgValueError {
  return new PgValueError(`${JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text)} is not Postgres text output for ${type}`);
}

export function readNumericText(text: string, type: string): Decimal {
  if (text === 'NaN') return { kind: 'nan' };
  if (text === 'Infinity' || text === '-Infinity') return { kind: 'infinity', negative: text.startsWith('-') };
  const value = parsePlainDecimal(text);
  if (value === undefined) throw invalid(text, type);
  return value;
}

export function readFloatText(text: string, type: 'float4' | 'float8'): number {
  let value: number;
  if (text === 'NaN') value = Number.NaN;
  else if (text === 'Infinity') value = Number.POSITIVE_INFINITY;
  else if (text === '-Infinity') value = Number.NEGATIVE_INFINITY;
  else if (FLOAT.test(text)) value = Number(text);
  else throw invalid(text, type);
  // float4 output is the shortest text that reads back as the float4; widen that float4 exactly.
  return type === 'float4' ? Math.fround(value) : value;
}

export function readDateText(text: string): number {
  if (text === 'infinity') return Number.POSITIVE_INFINITY;
  if (text === '-infinity') return Number.NEGATIVE_INFINITY;
  const match = DATE.exec(text);
  if (!match) throw invalid(text, 'date');
  return daysFromCivil(astronomicalYear(match[1]!, match[4] !== undefined), Number(match[2]), Number(match[3]));
}

export function readTimestampText(text: string, withZone: boolean): bigint {
  if (text === 'infinity') return TIMESTAMP_INFINITY;
  if (text === '-infinity') return TIMESTAMP_MINUS_INFINITY;
  const type = withZone ? 'timestamptz' : 'timestamp';
  const match = (withZone ? TIMESTAMPTZ : TIMESTAMP).exec(text);
  if (!match) throw invalid(text, type);
  const bc = (withZone ? match[13] : match[8]) !== undefined;
  const days = daysFromCivil(astronomicalYear(match[1]!, bc), Number(match[2]), Number(match[3]));
  const local = timestampMicros(days, Number(match[4]), Number(match[5]), Number(match[6]), fractionToMicros(match[7] ?? ''));
  if (!withZone || match[8] !== undefined) return local;
  const offsetSeconds = (Number(match[10]) * 60 + Number(match[11] ?? 0)) * 60 + Number(match[12] ?? 0);
  // Local time = UTC + offset, so UTC = local - offset.
  return local - BigInt((match[9] === '-' ? -offsetSeconds : offsetSeconds) * 1_000_000);
}

/** The value of one row cell, as text output for a column of `type`. */
export function readPgText(text: string, type: FilterableType): Value {
  switch (type) {
    case 'int2':
    case 'int4':
    case 'int8':
      if (!INT.test(text)) throw invalid(text, type);
      return { type: 'exact', value: { kind: 'finite', units: BigInt(text), scale: 0 } };
    case 'numeric':
      return { type: 'exact', value: readNumericText(text, type) };
    case 'float4':
    case 'float8':
      return { type: 'float', value: readFloatText(text, type) };
    case 'text':
    case 'varchar':
    case 'bpchar':
      return { type: 'text', value: text };
    case 'uuid': {
      const match = UUID.exec(text);
      if (!match) throw invalid(text, type);
      return { type: 'uuid', value: match.slice(1).join('').toLowerCase() };
    }
    case 'bool':
      if (text === 't' || text === 'true') return { type: 'bool', value: true };
      if (text === 'f' || text === 'false') return { type: 'bool', value: false };
      throw invalid(text, type);
    case 'date':
      return { type: 'date', value: readDateText(text) };
    case 'timestamp':
      return { type: 'timestamp', value: readTimestampText(text, false) };
    case 'timestamptz':
      return { type: 'timestamp', value: readTimestampText(text, true) };
  }
}
