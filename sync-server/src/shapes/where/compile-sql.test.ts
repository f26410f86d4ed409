import { expect, test } from 'vitest';
import { bindWhere } from './bind.ts';
import { compileWhere } from './compile-sql.ts';
import { parseWhere } from './parser.ts';
import type { ColumnTypes } from './pg-type.ts';

const COLUMNS = {
  id: 'uuid',
  status: 'text',
  code: 'bpchar',
  note: 'varchar',
  qty: 'int4',
  total_minor: 'int8',
  amount: 'numeric',
  ratio: 'float4',
  paid: 'bool',
  placed_at: 'timestamptz',
  'odd"name': 'text',
} as const satisfies ColumnTypes;

const compile = (text: string, params: Record<string, string> = {}, first = 1) => compileWhere(bindWhere(parseWhere(text), COLUMNS, params), first);

test('the protocol example compiles to quoted identifiers and cast parameters from firstParamIndex', () => {
  expect(compile('status = $1 AND total_minor > 100', { '1': 'placed' }, 3)).toEqual({
    sql: '(("status" = $3::text) AND ("total_minor" > $4::text::int8))',
    values: ['placed', '100'],
  });
});

test('no client text reaches the SQL: literals become parameters and identifiers are escaped', () => {
  const { sql, values } = compile(`"odd""name" = '1'') OR (''1''=''1' OR status = $1`, { '1': "x'); drop table t; --" });
  expect(sql).toBe('(("odd""name" = $1::text) OR ("status" = $2::text))');
  expect(values).toEqual(["1') OR ('1'='1", "x'); drop table t; --"]);
});

test('the whole condition is parenthesised so it can be ANDed with another', () => {
  expect(compile('paid OR qty = 1').sql).toBe('(("paid") OR ("qty" = $1::text::int8))');
  expect(compile('paid').sql).toBe('("paid")');
  expect(compile('1 = 1').sql).toBe('(TRUE)');
  expect(compile('NULL').sql).toBe('(NULL::boolean)');
});

test('text ordering and LIKE/ILIKE run under COLLATE "C"; equality and IN keep the column collation', () => {
  expect(compile("status < 'b' AND status = 'a' AND status IN ('a', NULL) AND status ILIKE 'a%' AND note NOT LIKE '%x'").sql).toBe(
    '(("status" COLLATE "C" < $1::text) AND ("status" = $2::text) AND ("status" IN ($3::text, NULL)) AND ("status" COLLATE "C" ILIKE $4::text) AND ("note" COLLATE "C" NOT LIKE $5::text))',
  );
});

test('mixed-type comparisons get explicit casts that pin the operator Postgres picks', () => {
  expect(compile('qty < 2.5').sql).toBe('("qty"::numeric < $1::text::numeric)');
  expect(compile('qty = amount').sql).toBe('("qty"::numeric = "amount")');
  expect(compile('qty = total_minor').sql).toBe('("qty" = "total_minor")');
  expect(compile('ratio = 0.1').sql).toBe('("ratio"::float8 = $1::text::float8)');
  expect(compile('ratio = $1', { '1': '0.1' })).toEqual({ sql: '("ratio" = $1::text::float4)', values: ['0.10000000149011612'] });
  expect(compile('code = status').sql).toBe('("code"::text = "status")');
  expect(compile('code = note').sql).toBe('("code" = "note"::bpchar)');
  expect(compile('qty IN (1, 2.5)').sql).toBe('("qty"::numeric IN ($1::text::int8, $2::text::numeric))');
});

test('IS tests, NOT and nesting compile with explicit parentheses', () => {
  expect(compile('NOT (paid IS NOT TRUE OR qty IS NULL) AND (qty > 1) IS UNKNOWN').sql).toBe(
    '((NOT ((("paid") IS NOT TRUE) OR ("qty" IS NULL))) AND (("qty" > $1::text::int8) IS UNKNOWN))',
  );
});

test('firstParamIndex must be a positive integer', () => {
  const where = bindWhere(parseWhere('qty = 1'), COLUMNS, {});
  expect(() => compileWhere(where, 0)).toThrow(RangeError);
  expect(() => compileWhere(where, 1.5)).toThrow(RangeError);
});
