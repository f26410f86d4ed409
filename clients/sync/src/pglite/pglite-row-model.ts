/**
 * The PGlite store's RowModel: the row Postgres reads back after a put, and list() over rows held
 * in memory, exactly as Postgres answers them, for the column types and values this module knows.
 * Anything else (numerics in exponent form, intervals, a uuid in capitals, text with a NUL, a
 * where clause Postgres would coerce, …) is answered with undefined: the caller asks the store.
 */
import type { ListOptions } from '@niaga/mutators';
import type { ColumnSpec, LocalRow, RowModel } from '../local-store.ts';

/** Types created as they are; anything else (enums, domains, types PGlite lacks) is stored as text. */
export const knownTypes = new Set(['uuid', 'text', 'varchar', 'bpchar', 'int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'bool', 'date', 'time', 'timestamp', 'timestamptz', 'interval', 'json', 'jsonb', 'bytea']);

export const storedType = (column: ColumnSpec): string => (knownTypes.has(column.type) ? column.type : 'text');

/** The session settings the answers depend on. */
export interface PgliteSession {
  /** TimeZone is UTC (timestamptz prints with `+00`) and DateStyle ISO. */
  readonly utcISO: boolean;
  /** The database's collation orders text by code point (C or POSIX). */
  readonly codePointOrder: boolean;
}

/** Thrown inside to give up: only the store can answer. */
class StoreOnly extends Error {}
const storeOnly = (): never => {
  throw new StoreOnly();
};

const uuidForm = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const numericForm = /^-?(0|[1-9]\d*)(\.\d+)?$/;
const dateForm = /^(\d{4})-(\d{2})-(\d{2})$/;
const timestampForm = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}(?::?\d{2})?)$/;
/** Postgres text refuses NUL; lone surrogates do not survive its UTF-8; astral characters order differently in UTF-16. */
const surrogates = /[\ud800-\udfff]/;
const unsafeText = { test: (text: string) => text.includes('\u0000') || surrogates.test(text) };
const ranges: Record<string, readonly [number, number]> = { int2: [-32768, 32767], int4: [-2147483648, 2147483647], int8: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] };

/** Seconds since the epoch and microseconds, for a timestamp Postgres reads the same way. */
interface Instant {
  readonly seconds: number;
  readonly micros: number;
}

function instantOf(text: unknown): Instant {
  const match = typeof text === 'string' ? timestampForm.exec(text) : null;
  if (!match) return storeOnly();
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const local = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  // Out-of-range fields (Feb 30, 24:00, a leap second) Postgres treats its own way.
  if (year < 1000 || local.getUTCFullYear() !== year || local.getUTCMonth() !== month - 1 || local.getUTCDate() !== day || local.getUTCHours() !== hour || local.getUTCMinutes() !== minute || local.getUTCSeconds() !== second) return storeOnly();
  const zone = /^([+-])(\d{2}):?(\d{2})?$/.exec(match[8]!);
  const [hours, minutes] = zone ? [Number(zone[2]), Number(zone[3] ?? 0)] : [0, 0];
  if (hours > 15 || minutes > 59) return storeOnly();
  const offsetMinutes = zone ? (zone[1] === '-' ? -1 : 1) * (hours * 60 + minutes) : 0;
  return { seconds: local.getTime() / 1000 - offsetMinutes * 60, micros: Number((match[7] ?? '').padEnd(6, '0')) };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** How Postgres prints a timestamptz in UTC with DateStyle ISO. */
function printedTimestamp({ seconds, micros }: Instant): string {
  const date = new Date(seconds * 1000);
  const year = date.getUTCFullYear();
  if (year < 1000 || year > 9999) return storeOnly();
  const fraction = micros === 0 ? '' : `.${pad(micros, 6).replace(/0+$/, '')}`;
  return `${year}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}${fraction}+00`;
}

function storedScalar(type: string, value: unknown, session: PgliteSession): unknown {
  switch (type) {
    case 'text':
    case 'varchar':
      return typeof value === 'string' && !unsafeText.test(value) ? value : storeOnly();
    case 'bpchar':
      return typeof value === 'string' && !unsafeText.test(value) && !value.endsWith(' ') ? value : storeOnly();
    case 'uuid':
      return typeof value === 'string' && uuidForm.test(value) ? value : storeOnly();
    case 'int2':
    case 'int4':
    case 'int8': {
      const [low, high] = ranges[type]!;
      return Number.isSafeInteger(value) && !Object.is(value, -0) && (value as number) >= low && (value as number) <= high ? value : storeOnly();
    }
    case 'float8':
      return typeof value === 'number' && Number.isFinite(value) && !Object.is(value, -0) ? value : storeOnly();
    case 'bool':
      return typeof value === 'boolean' ? value : storeOnly();
    case 'numeric':
      if (typeof value === 'number' && Number.isFinite(value) && !Object.is(value, -0) && !String(value).includes('e')) return String(value);
      return typeof value === 'string' && numericForm.test(value) && !/^-0(\.0+)?$/.test(value) ? value : storeOnly();
    case 'date': {
      const match = typeof value === 'string' ? dateForm.exec(value) : null;
      if (!match || !session.utcISO) return storeOnly();
      const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
      const date = new Date(Date.UTC(year, month - 1, day));
      return year >= 1000 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? value : storeOnly();
    }
    case 'timestamptz':
      return session.utcISO ? printedTimestamp(instantOf(value)) : storeOnly();
    case 'json':
    case 'jsonb': {
      const text = JSON.stringify(value) as string | undefined;
      // jsonb refuses \u0000 and lone surrogates; a value JSON cannot hold becomes something else.
      if (text === undefined || text === 'null' || /\\u0000|\\ud[89a-f]/i.test(text)) return storeOnly();
      return JSON.parse(text);
    }
    default:
      return storeOnly();
  }
}

function storedValue(column: ColumnSpec, value: unknown, session: PgliteSession): unknown {
  if (value === null || value === undefined) return null;
  const type = storedType(column);
  if (!column.dims) return Array.isArray(value) && type !== 'json' && type !== 'jsonb' ? storeOnly() : storedScalar(type, value, session);
  if (column.dims !== 1 || !Array.isArray(value)) return storeOnly();
  return value.map((item) => (item === null || item === undefined ? storeOnly() : storedScalar(type, item, session)));
}

/** Types whose equality is JS `===` on their stored form. */
const equalityTypes = new Set(['text', 'varchar', 'uuid', 'int2', 'int4', 'int8', 'bool', 'date', 'timestamptz']);

/** A where value Postgres compares exactly as `===` compares it with a stored value. */
function exactKey(column: ColumnSpec, value: unknown, session: PgliteSession): unknown {
  if (column.dims || !equalityTypes.has(storedType(column)) || value === null || value === undefined) return storeOnly();
  return storedScalar(storedType(column), value, session) === value ? value : storeOnly();
}

type Key = number | string | boolean | Instant;

/** The value as Postgres orders it within its column (null: Postgres puts it after every value). */
function orderKey(column: ColumnSpec, value: unknown, session: PgliteSession): Key | null {
  if (value === null || value === undefined) return null;
  if (column.dims) return storeOnly();
  const type = storedType(column);
  if (type === 'int2' || type === 'int4' || type === 'int8') return typeof value === 'number' ? value : typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : storeOnly();
  if (type === 'timestamptz') return session.utcISO ? instantOf(value) : storeOnly();
  if (type === 'bool') return typeof value === 'boolean' ? value : storeOnly();
  if (type === 'uuid') return typeof value === 'string' && uuidForm.test(value) ? value : storeOnly();
  if ((type === 'text' || type === 'varchar' || type === 'date') && session.codePointOrder && typeof value === 'string' && !unsafeText.test(value)) return type === 'date' ? storedScalar(type, value, session) as string : value;
  return storeOnly();
}

function compareKeys(a: Key | null, b: Key | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  if (typeof a === 'object' && typeof b === 'object') return a.seconds - b.seconds || a.micros - b.micros;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function pgliteRowModel(columnsOf: (table: string) => readonly ColumnSpec[] | undefined, session: PgliteSession): RowModel {
  const answer = <T>(work: () => T): T | undefined => {
    try {
      return work();
    } catch (error) {
      if (error instanceof StoreOnly) return undefined;
      throw error;
    }
  };
  return {
    stored: (table, row) =>
      answer(() => {
        const columns = columnsOf(table) ?? storeOnly();
        const stored: LocalRow = {};
        for (const column of columns) stored[column.name] = storedValue(column, row[column.name], session);
        return stored.id === null ? storeOnly() : stored;
      }),
    select: (table, rows, where, options: ListOptions) =>
      answer(() => {
        const columns = new Map((columnsOf(table) ?? storeOnly()).map((column) => [column.name, column]));
        const column = (name: string) => columns.get(name) ?? storeOnly();
        const tests = Object.entries(where).map(([name, value]): ((row: LocalRow) => boolean) => {
          if (value === null || value === undefined) return (row) => row[name] === null || row[name] === undefined;
          if (!Array.isArray(value)) {
            const key = exactKey(column(name), value, session);
            return (row) => row[name] === key;
          }
          const keys = new Set(value.map((item) => exactKey(column(name), item, session)));
          return (row) => keys.has(row[name]);
        });
        const after = options.after;
        const afterColumn = after ? column(after[0]) : undefined;
        const afterKey = after && afterColumn ? (orderKey(afterColumn, after[1], session) ?? storeOnly()) : null;
        const isAfter = (row: LocalRow) => {
          if (!after || !afterColumn) return true;
          const key = orderKey(afterColumn, row[after[0]], session);
          return key !== null && compareKeys(key, afterKey) > 0;
        };
        const selected = rows.filter((row) => tests.every((test) => test(row)) && isAfter(row));
        const idColumn = column('id');
        const byID = (a: LocalRow, b: LocalRow) => compareKeys(orderKey(idColumn, a.id, session), orderKey(idColumn, b.id, session));
        const orderBy = options.orderBy;
        if (orderBy) {
          const orderColumn = column(orderBy[0]);
          const direction = orderBy[1] === 'desc' ? -1 : 1;
          const keyed = selected.map((row) => ({ row, key: orderKey(orderColumn, row[orderBy[0]], session) }));
          keyed.sort((a, b) => direction * compareKeys(a.key, b.key) || byID(a.row, b.row));
          selected.splice(0, selected.length, ...keyed.map(({ row }) => row));
        } else selected.sort(byID);
        if (options.limit === undefined) return selected;
        if (!Number.isFinite(options.limit)) return storeOnly();
        return selected.slice(0, Math.max(0, Math.floor(options.limit)));
      }),
  };
}
