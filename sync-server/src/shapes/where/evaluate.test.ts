import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { bindWhere } from './bind.ts';
import { evaluateWhere, type Row } from './evaluate.ts';
import { parseWhere } from './parser.ts';
import type { ColumnTypes } from './pg-type.ts';
import { PgValueError } from './pg-value-error.ts';

const COLUMNS = {
  a: 'bool',
  b: 'bool',
  id: 'uuid',
  other_id: 'uuid',
  name: 'text',
  note: 'varchar',
  code: 'bpchar',
  qty: 'int4',
  big: 'int8',
  small: 'int2',
  amount: 'numeric',
  ratio: 'float4',
  score: 'float8',
  day: 'date',
  at: 'timestamptz',
  local: 'timestamp',
} as const satisfies ColumnTypes;

/** Whether `row` is in the shape for `where` (true only when the condition is TRUE). */
function matches(where: string, row: Row, params: Record<string, string> = {}): boolean {
  return evaluateWhere(bindWhere(parseWhere(where), COLUMNS, params), row);
}

type Truth = boolean | null;
const TRUTHS: Truth[] = [true, false, null];
const cell = (value: Truth): string | null => (value === null ? null : value ? 't' : 'f');

/**
 * The truth value of a boolean condition, read through IS TRUE / IS FALSE, which never return
 * NULL themselves — so the table checks the full three-valued result, not just "matches".
 */
function truthOf(where: string, row: Row): Truth {
  if (matches(`(${where}) IS TRUE`, row)) return true;
  if (matches(`(${where}) IS FALSE`, row)) return false;
  return null;
}

describe('three-valued logic', () => {
  test('AND, OR and NOT follow the SQL truth tables', () => {
    const and = (x: Truth, y: Truth): Truth => (x === false || y === false ? false : x === null || y === null ? null : true);
    const or = (x: Truth, y: Truth): Truth => (x === true || y === true ? true : x === null || y === null ? null : false);
    for (const x of TRUTHS) {
      for (const y of TRUTHS) {
        const row = { a: cell(x), b: cell(y) };
        expect(truthOf('a AND b', row), `${x} AND ${y}`).toBe(and(x, y));
        expect(truthOf('a OR b', row), `${x} OR ${y}`).toBe(or(x, y));
      }
      expect(truthOf('NOT a', { a: cell(x) })).toBe(x === null ? null : !x);
    }
  });

  test('a row is in the shape only when the condition is TRUE, never when it is NULL', () => {
    expect(matches('a', { a: null })).toBe(false);
    expect(matches('NOT a', { a: null })).toBe(false);
    expect(matches('qty = 1', { qty: null })).toBe(false);
    expect(matches('qty <> 1', { qty: null })).toBe(false);
    expect(matches('NOT (qty = 1)', { qty: null })).toBe(false);
  });

  test('IS [NOT] NULL / TRUE / FALSE / UNKNOWN are never NULL', () => {
    const table: [string, Truth, boolean][] = [];
    for (const x of TRUTHS) {
      table.push(['a IS NULL', x, x === null], ['a IS NOT NULL', x, x !== null]);
      table.push(['a IS TRUE', x, x === true], ['a IS NOT TRUE', x, x !== true]);
      table.push(['a IS FALSE', x, x === false], ['a IS NOT FALSE', x, x !== false]);
      table.push(['a IS UNKNOWN', x, x === null], ['a IS NOT UNKNOWN', x, x !== null]);
      table.push(['(a AND a) IS NULL', x, x === null]);
    }
    for (const [where, x, expected] of table) {
      expect(matches(where, { a: cell(x) }), `${where} with a=${x}`).toBe(expected);
    }
  });

  test('x IN (…) is TRUE on a match, NULL if no match but a NULL is involved, else FALSE', () => {
    expect(truthOf('qty IN (1, 2)', { qty: '2' })).toBe(true);
    expect(truthOf('qty IN (1, 2)', { qty: '3' })).toBe(false);
    expect(truthOf('qty IN (1, NULL)', { qty: '1' })).toBe(true);
    expect(truthOf('qty IN (1, NULL)', { qty: '3' })).toBe(null);
    expect(truthOf('qty IN (1, 2)', { qty: null })).toBe(null);
    expect(truthOf('qty NOT IN (1, 2)', { qty: '3' })).toBe(true);
    expect(truthOf('qty NOT IN (1, NULL)', { qty: '3' })).toBe(null);
    expect(truthOf('qty NOT IN (1, NULL)', { qty: '1' })).toBe(false);
  });

  test('comparisons with NULL are unknown', () => {
    expect(truthOf('qty = NULL', { qty: '1' })).toBe(null);
    expect(truthOf('qty = big', { qty: '1', big: null })).toBe(null);
    expect(truthOf("name LIKE 'a%'", { name: null })).toBe(null);
  });
});

describe('typed comparisons', () => {
  test("'10' > '9' numerically for numbers but not for text", () => {
    expect(matches("qty > '9'", { qty: '10' })).toBe(true);
    expect(matches("amount > '9'", { amount: '10' })).toBe(true);
    expect(matches("name > '9'", { name: '10' })).toBe(false);
  });

  test('integers compare exactly beyond 2^53 and across widths and numeric', () => {
    expect(matches('big = 9007199254740993', { big: '9007199254740993' })).toBe(true);
    expect(matches('big = 9007199254740992', { big: '9007199254740993' })).toBe(false);
    expect(matches('small < 40000', { small: '32767' })).toBe(true);
    expect(matches('qty = 2.0', { qty: '2' })).toBe(true);
    expect(matches('qty < 2.5', { qty: '2' })).toBe(true);
    expect(matches('qty = amount', { qty: '2', amount: '2.000' })).toBe(true);
    expect(matches('big < 99999999999999999999', { big: '9223372036854775807' })).toBe(true);
  });

  test('numeric NaN equals NaN and sorts above Infinity', () => {
    expect(matches("amount = 'NaN'", { amount: 'NaN' })).toBe(true);
    expect(matches("amount > 'Infinity'", { amount: 'NaN' })).toBe(true);
    expect(matches("amount < '-Infinity'", { amount: '-1e999'.replace('e999', '0'.repeat(40)) })).toBe(false);
  });

  test('floats: NaN equals NaN and is largest, -0 equals 0, float4 columns compare as float4', () => {
    expect(matches("score = 'NaN'", { score: 'NaN' })).toBe(true);
    expect(matches("score > 'Infinity'", { score: 'NaN' })).toBe(true);
    expect(matches('score = 0', { score: '-0' })).toBe(true);
    // 0.1 as float4 is 0.100000001490116…, which is not the float8 0.1.
    expect(matches('ratio = 0.1', { ratio: '0.1' })).toBe(false);
    expect(matches('ratio = $1', { ratio: '0.1' }, { '1': '0.1' })).toBe(true);
    expect(matches('ratio = 16777216', { ratio: '1.6777216e+07' })).toBe(true);
  });

  test('uuids compare case-insensitively, whatever form the parameter takes', () => {
    const row = { id: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', other_id: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11' };
    expect(matches('id = $1', row, { '1': 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11' })).toBe(true);
    expect(matches('id = $1', row, { '1': '{a0eebc999c0b4ef8bb6d6bb9bd380a11}' })).toBe(true);
    expect(matches('id = other_id', row)).toBe(true);
    expect(matches("id < 'b0000000-0000-0000-0000-000000000000'", row)).toBe(true);
  });

  test('text compares by code point (COLLATE "C"), not by UTF-16 unit or locale', () => {
    expect(matches("name < 'b'", { name: 'B' })).toBe(true);
    expect(matches("name > 'z'", { name: 'é' })).toBe(true);
    // U+FFFD sorts below U+1F600 by code point although its UTF-16 unit is larger.
    expect(matches("name < '😀'", { name: '\uFFFD' })).toBe(true);
    expect(matches("name < 'ab'", { name: 'a' })).toBe(true);
    expect(matches("name = 'a'", { name: 'a ' })).toBe(false);
  });

  test('char(n) ignores trailing spaces against char/varchar but not after a cast to text', () => {
    expect(matches("code = 'ab'", { code: 'ab    ' })).toBe(true);
    expect(matches('code = note', { code: 'ab    ', note: 'ab ' })).toBe(true);
    expect(matches('code = name', { code: 'ab    ', name: 'ab' })).toBe(true);
    expect(matches('code = name', { code: 'ab    ', name: 'ab ' })).toBe(false);
    expect(matches("code LIKE 'ab'", { code: 'ab    ' })).toBe(false);
    expect(matches("code LIKE 'ab%'", { code: 'ab    ' })).toBe(true);
  });

  test('booleans: t/f text, false < true', () => {
    expect(matches('a = $1', { a: 't' }, { '1': 'yes' })).toBe(true);
    expect(matches('a < b', { a: 'f', b: 't' })).toBe(true);
    expect(matches('a = TRUE', { a: 'true' })).toBe(true);
  });

  test('dates compare as days, with infinities and BC years', () => {
    expect(matches("day < '2026-01-01'", { day: '2025-12-31' })).toBe(true);
    expect(matches("day > '9999-12-31'", { day: 'infinity' })).toBe(true);
    expect(matches("day < '0001-01-01'", { day: '0044-03-15 BC' })).toBe(true);
    expect(matches("day > '0001-01-01'", { day: '20000-01-01' })).toBe(true);
    expect(matches("day = '-infinity'", { day: '-infinity' })).toBe(true);
  });

  test('timestamptz compares instants, whatever offset the row was printed with', () => {
    const param = { '1': '2026-11-24T19:23:01.123Z' };
    expect(matches('at = $1', { at: '2026-11-24 19:23:01.123+00' }, param)).toBe(true);
    expect(matches('at = $1', { at: '2026-11-25 00:53:01.123+05:30' }, param)).toBe(true);
    expect(matches('at = $1', { at: '2026-11-24 15:53:01.123-03:30' }, param)).toBe(true);
    expect(matches('at > $1', { at: '2026-11-24 19:23:01.123001+00' }, param)).toBe(true);
    expect(matches('at < $1', { at: '1850-01-01 05:53:28+05:53:28' }, param)).toBe(true);
    expect(matches("at = '1850-01-01T00:00:00Z'", { at: '1850-01-01 05:53:28+05:53:28' })).toBe(true);
    expect(matches("at < '0001-01-02T00:00:00Z'", { at: '0044-03-15 15:53:28+05:53:28 BC' })).toBe(true);
    expect(matches('at > $1', { at: 'infinity' }, param)).toBe(true);
  });

  test('timestamp without zone compares wall-clock time, a date-only value meaning midnight', () => {
    expect(matches("local = '2026-11-24'", { local: '2026-11-24 00:00:00' })).toBe(true);
    expect(matches("local > '2026-11-24'", { local: '2026-11-24 00:00:00.000001' })).toBe(true);
    expect(matches("local < '0001-01-01'", { local: '0044-03-15 10:00:00 BC' })).toBe(true);
  });

  test('fractional seconds beyond microseconds round as Postgres rounds them', () => {
    expect(matches("local = '2026-11-24 00:00:00.0000005'", { local: '2026-11-24 00:00:00' })).toBe(true);
    expect(matches("local = '2026-11-24 00:00:00.0000015'", { local: '2026-11-24 00:00:00.000002' })).toBe(true);
    expect(matches("local = '2026-11-24 23:59:59.9999999'", { local: '2026-11-25 00:00:00' })).toBe(true);
  });
});

describe('row values', () => {
  test('a value that is not Postgres text output for the column type is a PgValueError', () => {
    expect(() => matches('qty = 1', { qty: '1.0' })).toThrow(PgValueError);
    expect(() => matches("id = '0b9a5f6e-3c1d-4f2a-9e8b-7c6d5e4f3a2b'", { id: 'zz' })).toThrow(PgValueError);
    expect(() => matches("at = '2026-01-01T00:00:00Z'", { at: '2026-01-01 00:00:00' })).toThrow(/not Postgres text output for timestamptz/);
    expect(() => matches("day = '2026-01-01'", { day: '01/01/2026' })).toThrow(PgValueError);
  });

  test('a row without the column is a PgValueError, not a silent NULL', () => {
    expect(() => matches('qty = 1', {})).toThrow(/The row has no value for column "qty"/);
    expect(() => matches('qty IS NULL', {})).toThrow(PgValueError);
  });

  test('columns the clause does not read are not parsed', () => {
    expect(matches('qty = 1', { qty: '1', day: 'garbage' })).toBe(true);
  });
});

test('NOT x is the complement of x on every row where x is not NULL', () => {
  const row = fc.record({ qty: fc.option(fc.integer({ min: -3, max: 3 }).map(String)), name: fc.option(fc.constantFrom('a', 'b', 'ab', '')) });
  const clause = fc.constantFrom('qty > 0', "name LIKE 'a%'", 'qty IN (1, 2)', "name < 'b' OR qty = 0", "qty >= 1 AND name <> 'a'");
  fc.assert(
    fc.property(row, clause, (r, where) => {
      const truth = truthOf(where, r);
      expect(truthOf(`NOT (${where})`, r)).toBe(truth === null ? null : !truth);
    }),
  );
});
