/**
 * Rows as Replicache holds them (pure): Postgres text output (what the change log and `::text`
 * give) turned into the JSON values @electric-sql/client's default parser gives for the same
 * columns, so a device sees the same row through a shape and through pull: integers and floats
 * as numbers (int8 too: JSON has no bigint), booleans, parsed json/jsonb, arrays as arrays, and
 * everything else (uuid, text, numeric, timestamps) as the Postgres text.
 */
import type { ColumnInfo } from '../shapes/table-catalog.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type TextRow = Readonly<Record<string, string | null>>;

const numeric = new Set(['int2', 'int4', 'int8', 'float4', 'float8']);

function scalar(text: string, type: string): JsonValue {
  if (numeric.has(type)) {
    const value = Number(text);
    // NaN and ±Infinity have no JSON form: keep Postgres's spelling rather than lose them to null.
    return Number.isFinite(value) ? value : text;
  }
  if (type === 'bool') return text === 't' || text === 'true';
  if (type === 'json' || type === 'jsonb') return JSON.parse(text) as JsonValue;
  return text;
}

/**
 * A Postgres array literal (`{a,"b c",NULL,{1,2}}`, optionally with bounds `[0:1]={…}`) as
 * nested arrays of element text, NULL as null.
 */
export function parsePgArray(literal: string): unknown[] {
  const start = literal.startsWith('[') ? literal.indexOf('=') + 1 : 0;
  let i = start;
  const fail = () => new Error(`Not a Postgres array literal: ${literal.slice(0, 60)}`);
  function parseList(): unknown[] {
    if (literal[i] !== '{') throw fail();
    i++;
    const items: unknown[] = [];
    if (literal[i] === '}') {
      i++;
      return items;
    }
    for (;;) {
      if (literal[i] === '{') items.push(parseList());
      else if (literal[i] === '"') {
        let item = '';
        i++;
        while (literal[i] !== '"') {
          if (i >= literal.length) throw fail();
          if (literal[i] === '\\') i++;
          item += literal[i];
          i++;
        }
        i++;
        items.push(item);
      } else {
        let end = i;
        while (end < literal.length && literal[end] !== ',' && literal[end] !== '}') end++;
        const item = literal.slice(i, end);
        items.push(item === 'NULL' ? null : item);
        i = end;
      }
      if (literal[i] === ',') i++;
      else if (literal[i] === '}') {
        i++;
        return items;
      } else throw fail();
    }
  }
  const result = parseList();
  if (i !== literal.length) throw fail();
  return result;
}

function convertArray(items: unknown[], type: string): JsonValue[] {
  return items.map((item) => (item === null ? null : Array.isArray(item) ? convertArray(item, type) : scalar(item as string, type)));
}

export function jsonValue(text: string | null, column: Pick<ColumnInfo, 'type' | 'dims'>): JsonValue {
  if (text === null) return null;
  if (column.dims > 0) return convertArray(parsePgArray(text), column.type);
  return scalar(text, column.type);
}

/** The given columns of a text row, as JSON values. */
export function jsonRow(columns: readonly ColumnInfo[], row: TextRow): Record<string, JsonValue> {
  const value: Record<string, JsonValue> = {};
  for (const column of columns) value[column.name] = jsonValue(row[column.name] ?? null, column);
  return value;
}
