import fc from 'fast-check';
import { expect, test } from 'vitest';
import { jsonValue, parsePgArray } from './json-row.ts';

const scalar = (type: string) => ({ type, dims: 0 });

test('scalars become the values the shape client parses them to, int8 as a number', () => {
  expect(jsonValue('42', scalar('int4'))).toBe(42);
  expect(jsonValue('9007199254740991', scalar('int8'))).toBe(9007199254740991);
  expect(jsonValue('1.5', scalar('float8'))).toBe(1.5);
  expect(jsonValue('NaN', scalar('float8'))).toBe('NaN');
  expect(jsonValue('t', scalar('bool'))).toBe(true);
  expect(jsonValue('f', scalar('bool'))).toBe(false);
  expect(jsonValue('{"a": [1, null]}', scalar('jsonb'))).toEqual({ a: [1, null] });
  expect(jsonValue('12.50', scalar('numeric'))).toBe('12.50');
  expect(jsonValue('2024-05-01 10:00:00.123+00', scalar('timestamptz'))).toBe('2024-05-01 10:00:00.123+00');
  expect(jsonValue(null, scalar('int4'))).toBeNull();
});

test('arrays are parsed with quoting, escapes, NULL, nesting and explicit bounds', () => {
  expect(parsePgArray('{}')).toEqual([]);
  expect(parsePgArray('{a,"b c","d\\"e","f\\\\g",NULL,"NULL"}')).toEqual(['a', 'b c', 'd"e', 'f\\g', null, 'NULL']);
  expect(parsePgArray('{{1,2},{3,4}}')).toEqual([['1', '2'], ['3', '4']]);
  expect(parsePgArray('[0:1]={x,y}')).toEqual(['x', 'y']);
  expect(jsonValue('{1,NULL,3}', { type: 'int4', dims: 1 })).toEqual([1, null, 3]);
  expect(() => parsePgArray('{a,b')).toThrow(/array literal/);
});

/** Postgres's array output for text elements: quoted when empty, NULL, or holding special characters. */
function pgTextArray(items: readonly (string | null)[]): string {
  const quoteIfNeeded = (item: string | null) => {
    if (item === null) return 'NULL';
    if (item === '' || item.toUpperCase() === 'NULL' || /[{}",\\\s]/.test(item)) return `"${item.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    return item;
  };
  return `{${items.map(quoteIfNeeded).join(',')}}`;
}

test('any one-dimensional text array reads back exactly as Postgres wrote it', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.constant(null), fc.constantFrom('{', '}', ',', '"', '\\', ' ', 'NULL'))), (items) => {
      expect(parsePgArray(pgTextArray(items))).toEqual(items);
    }),
  );
});
