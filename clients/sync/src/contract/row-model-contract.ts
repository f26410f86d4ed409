/**
 * The store's RowModel (local-store.ts): where it answers, its answer is the store's. `stored` is
 * what get() returns after put(); `select` is what list() returns. Both may answer undefined (ask
 * the store), but must answer for the rows a mutator writes and the queries mutators make.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { LocalRow, TableSpec } from '../local-store.ts';
import type { Harness } from './contract-fixtures.ts';
import { optionsArbitrary, rowsArbitrary, rowsTable, whereArbitrary } from './list-contract.ts';

const mixedTable: TableSpec = {
  name: 'test.mixed',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'label', type: 'text' },
    { name: 'code', type: 'bpchar' },
    { name: 'owner', type: 'uuid' },
    { name: 'small', type: 'int2' },
    { name: 'count', type: 'int4' },
    { name: 'big', type: 'int8' },
    { name: 'ratio', type: 'float8' },
    { name: 'amount', type: 'numeric' },
    { name: 'flag', type: 'bool' },
    { name: 'at', type: 'timestamptz' },
    { name: 'day', type: 'date' },
    { name: 'doc', type: 'jsonb' },
    { name: 'tags', type: 'text', dims: 1 },
    { name: 'status', type: 'order_status' },
  ],
};

/** Values a mutator or the shape stream may give each column: usual ones, and now and then an odd one the store converts or refuses. */
const usualOrOdd = (usual: fc.Arbitrary<unknown>, odd: fc.Arbitrary<unknown>) => fc.oneof({ arbitrary: usual, weight: 12 }, { arbitrary: odd, weight: 1 });
const mixedValues: Record<string, fc.Arbitrary<unknown>> = {
  label: usualOrOdd(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('Ünïcode ✓', 'x ')), fc.constantFrom('a\u0000b', '🚚', 5)),
  code: usualOrOdd(fc.constantFrom('USD', '', 'x'), fc.constant('EU ')),
  owner: usualOrOdd(fc.constantFrom('00000000-0000-4000-8000-00000000000a', '2d8f5c3e-9b1a-4c7d-8e2f-0a1b2c3d4e5f'), fc.constantFrom('00000000-0000-4000-8000-00000000000A', '{00000000-0000-4000-8000-00000000000b}', 'nope')),
  small: usualOrOdd(fc.integer({ min: -32768, max: 32767 }), fc.constantFrom(40000, 1.5, '7', -0)),
  count: usualOrOdd(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(2 ** 31, '12')),
  big: usualOrOdd(fc.maxSafeInteger(), fc.constantFrom(2 ** 60, '9')),
  ratio: usualOrOdd(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(-0, '0.5', Number.NaN)),
  amount: usualOrOdd(fc.constantFrom('12.50', '0', '-0.5', 12.5, 3, 0.1), fc.constantFrom('-0.00', '1e3', '007', 1e21)),
  flag: usualOrOdd(fc.boolean(), fc.constantFrom('true', 1)),
  at: usualOrOdd(
    fc.oneof(
      fc.date({ min: new Date('1001-01-01T00:00:00Z'), max: new Date('9998-12-31T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString()),
      fc.constantFrom('2026-11-24 09:00:01+00', '2026-11-24 09:00:01.123456+00', '2024-05-01T12:30:00.250+02:00', '2024-05-01T12:30:00-0530', '2024-05-01 10:00:00.5-03'),
    ),
    fc.constantFrom('2024-02-30T10:00:00Z', '2024-05-01 24:00:00+00', '2024-05-01', 'now', '2024-05-01T10:00:00.1234567Z'),
  ),
  day: usualOrOdd(fc.constantFrom('2024-05-01', '2000-02-29'), fc.constantFrom('2024-02-30', '0999-01-01', '2024-5-1', '2024-05-01T00:00:00Z')),
  doc: usualOrOdd(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom({ b: 1, a: [1, { z: 'é' }] }, { bad: 'a\u0000' }, Number.NaN, '\ud800')),
  tags: usualOrOdd(fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }), fc.constantFrom([null], [['a']], ['a', 1])),
  status: usualOrOdd(fc.constantFrom('placed', 'shipped'), fc.constant(7)),
};

const mixedRow = fc.record(mixedValues, { requiredKeys: [] });

export function rowModelContract(h: Harness): void {
  describe('row model', () => {
    test('stored(), where it answers, is the row get() returns after put(): for random rows of every column type', async () => {
      const { store } = await h.withTables();
      const table = h.own(mixedTable);
      await store.ensureTables([table]);
      let answered = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(mixedRow, { minLength: 1, maxLength: 8 }), fc.boolean(), async (values, extraColumn) => {
          const rows = values.map((row, index): LocalRow => ({ id: `00000000-0000-4000-8000-${String(index + 1).padStart(12, '0')}`, ...row, ...(extraColumn ? { not_a_column: 1 } : {}) }));
          await store.transaction(async (tx) => {
            await tx.clear(table.name);
            const claims = rows.map((row) => tx.model.stored(table.name, row));
            const accepted = rows.filter((_, index) => claims[index] !== undefined);
            answered += accepted.length;
            await tx.putMany(table.name, accepted);
            expect(await tx.getMany(table.name, accepted.map((row) => String(row.id)))).toEqual(claims.filter((claim) => claim !== undefined));
          });
        }),
        { numRuns: 60 },
      );
      expect(answered).toBeGreaterThan(60);
    });

    test('stored() answers for the rows mutators write: ISO timestamps, uuids, integers, text, booleans, JSON', async () => {
      const { store, stock } = await h.withTables();
      await store.transaction(async (tx) => {
        const row = { id: '00000000-0000-4000-8000-000000000001', warehouse_id: '00000000-0000-4000-8000-000000000002', product_id: '00000000-0000-4000-8000-000000000003', on_hand: 4, counted_at: '2026-11-24T09:00:01.000Z' };
        const claim = tx.model.stored(stock.name, row);
        expect(claim).toBeDefined();
        await tx.put(stock.name, row);
        expect(await tx.get(stock.name, row.id)).toEqual(claim);
      });
    });

    test('select(), where it answers, returns what list() returns over the same rows, for random rows and queries', async () => {
      const { store } = await h.withTables();
      const table = h.own(rowsTable);
      await store.ensureTables([table]);
      let answered = 0;
      await fc.assert(
        fc.asyncProperty(rowsArbitrary, fc.array(fc.tuple(whereArbitrary, optionsArbitrary), { minLength: 1, maxLength: 6 }), async (rows, queries) => {
          await store.transaction(async (tx) => {
            await tx.clear(table.name);
            await tx.putMany(table.name, rows);
            // Every row as stored, not in id order.
            const stored = (await tx.list(table.name, {})).reverse();
            for (const [where, options] of queries) {
              const expected = await tx.list(table.name, where, options);
              const selected = tx.model.select(table.name, stored, where, options);
              if (selected === undefined) continue;
              answered += 1;
              expect(selected).toEqual(expected);
              // Given only the rows the store would match (plus none), the answer is the same.
              expect(tx.model.select(table.name, await tx.list(table.name, where), where, options)).toEqual(expected);
            }
          });
        }),
        { numRuns: 100 },
      );
      expect(answered).toBeGreaterThan(50);
    });
  });
}
