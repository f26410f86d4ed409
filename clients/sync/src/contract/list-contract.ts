/**
 * list(): the semantics of MemoryTx.list, which the mutators are written against, with ties (and
 * an unordered list) in id order, as the server's SqlMutationTx returns them (`order by …, id`).
 * So a mutator that takes the first of an ordered list picks the same row on the device and on
 * the server.
 *
 * Not covered, because MemoryTx and SQL disagree and no mutator relies on either: `after` and
 * `orderBy` over a column holding null (MemoryTx compares null as the text "null"), `after` over
 * a numeric column (its value is text), and null inside an array of a where clause.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { MemoryTx, type ListOptions } from '@niaga/mutators';
import type { LocalRow, TableSpec } from '../local-store.ts';
import { comparable, stock as stockTemplate, stockItem, uuid, type Harness } from './contract-fixtures.ts';

export const rowsTable: TableSpec = {
  name: 'test.rows',
  columns: [
    { name: 'id', type: 'text' },
    { name: 'k', type: 'text' },
    { name: 'a', type: 'text' },
    { name: 'n', type: 'int8' },
    { name: 't', type: 'timestamptz' },
    { name: 'b', type: 'bool' },
    { name: 'j', type: 'jsonb' },
  ],
  indexes: ['k', 'a', 'n', 'b'],
};

const ids = Array.from({ length: 12 }, (_, n) => `r${String(n).padStart(2, '0')}`);
/** ASCII, mixed case: code-unit order is COLLATE "C", not a locale's. */
const texts = ['', 'a', 'A', 'a1', 'ab', 'b', 'Z', 'z0'];
const numbers = [-3, -1, 0, 1, 2, 3, 1_000_000_000_000];
const base = Date.UTC(2024, 0, 1, 10);
const instants = [base, base + 1, base + 1000, base + 3_600_000, base + 86_400_000, base - 86_400_000];
/** Postgres's text (as the shape stream gives it) or ISO (as a mutator writes it). */
const postgresText = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('.000Z', 'Z').replace('Z', '+00');

const valueOrList = <T>(values: readonly T[]) => fc.oneof(fc.constantFrom(...values), fc.subarray([...values], { maxLength: 3 }));

const rowArbitrary = fc.record(
  {
    k: fc.constantFrom(...texts),
    a: fc.constantFrom(...texts, null),
    n: fc.constantFrom(...numbers),
    t: fc.tuple(fc.constantFrom(...instants), fc.boolean()).map(([ms, iso]) => (iso ? new Date(ms).toISOString() : postgresText(ms))),
    b: fc.constantFrom(true, false, null),
    j: fc.constantFrom(null, { x: 1 }, [1, 'a']),
  },
  // A column left out of a row is absent: where null must match it.
  { requiredKeys: ['k', 'n', 't'] },
);

/** Rows with distinct ids, in a shuffled order (so insertion order is not id order). */
export const rowsArbitrary = fc
  .shuffledSubarray(ids)
  .chain((chosen) => fc.tuple(...chosen.map((id) => rowArbitrary.map((row): LocalRow => ({ id, ...row })))))
  .map((rows): LocalRow[] => rows);

/** Where clauses of up to two columns (more rarely match anything), each a value or a list. */
const whereValues: Record<string, fc.Arbitrary<unknown>> = {
  id: valueOrList(ids),
  k: valueOrList(texts),
  a: fc.oneof(fc.constant(null), valueOrList(texts)),
  n: valueOrList(numbers),
  b: fc.constantFrom(true, false, null),
};
export const whereArbitrary = fc
  .subarray(Object.keys(whereValues), { maxLength: 2 })
  .chain((columns) => fc.tuple(...columns.map((column) => whereValues[column]!)).map((values): LocalRow => Object.fromEntries(columns.map((column, index) => [column, values[index]]))));

export const optionsArbitrary = fc
  .record({
    after: fc.option(fc.oneof(fc.tuple(fc.constant('k'), fc.constantFrom(...texts)), fc.tuple(fc.constant('t'), fc.constantFrom(...instants).map((ms) => new Date(ms).toISOString()))), { nil: undefined }),
    orderBy: fc.option(fc.tuple(fc.constantFrom('k', 'n', 't'), fc.constantFrom('asc' as const, 'desc' as const)), { nil: undefined }),
    limit: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
  })
  .map(
    ({ after, orderBy, limit }): ListOptions => ({
      ...(after ? { after } : {}),
      ...(orderBy ? { orderBy } : {}),
      ...(limit === undefined ? {} : { limit }),
    }),
  );

const scratchTable = 'catalog.products';

/** What MemoryTx returns for the query over `rows`, kept in id order as the server keeps ties. */
async function memoryList(rows: readonly LocalRow[], where: LocalRow, options: ListOptions): Promise<LocalRow[]> {
  const inIDOrder = [...rows].sort((x, y) => (String(x.id) < String(y.id) ? -1 : 1));
  const memory = new MemoryTx(new Map([[scratchTable, new Map(inIDOrder.map((row) => [String(row.id), row]))]]));
  return memory.list(scratchTable, where, options);
}

export function listContract(h: Harness): void {
  describe('list', () => {
    const w1 = uuid(1);
    const w2 = uuid(2);
    const items = [
      stockItem(1, { warehouse_id: w1, on_hand: 5, counted_at: '2024-01-01 10:00:00+00' }),
      stockItem(2, { warehouse_id: w1, on_hand: 0, counted_at: '2024-01-02T10:00:00.000Z' }),
      stockItem(3, { warehouse_id: w2, product_id: uuid(1), on_hand: 7, counted_at: '2024-01-03 09:00:00+00' }),
      stockItem(4, { warehouse_id: w2, on_hand: 5, counted_at: null }),
    ];
    const [s1, s2, s3, s4] = items.map((item) => comparable(stockTemplate, item));
    const listed = async (where: LocalRow, options?: ListOptions) => {
      const { store, stock } = await h.withTables();
      await store.transaction((tx) => tx.putMany(stock.name, [...items].reverse()));
      const rows = await store.transaction((tx) => tx.list(stock.name, where, options));
      return rows.map((row) => comparable(stock, row));
    };

    test('list matches every column given, an array as any of its items, in id order', async () => {
      expect(await listed({ warehouse_id: w1 })).toEqual([s1, s2]);
      expect(await listed({ warehouse_id: [w1, w2], product_id: uuid(1) })).toEqual([s1, s3]);
      expect(await listed({ warehouse_id: w2, on_hand: [5, 0] })).toEqual([s4]);
      expect(await listed({ warehouse_id: [w2, w1] })).toEqual([s1, s2, s3, s4]);
      expect(await listed({ id: [items[2]!.id, items[0]!.id, uuid(99)] })).toEqual([s1, s3]);
      expect(await listed({ warehouse_id: [] })).toEqual([]);
      expect(await listed({})).toEqual([s1, s2, s3, s4]);
    });

    test('list matches null to a null or absent value', async () => {
      const { store, stock } = await h.withTables();
      const absent = { id: uuid(1005), warehouse_id: w1, product_id: uuid(5), on_hand: 1 };
      await store.transaction((tx) => tx.putMany(stock.name, [...items, absent]));
      const rows = await store.transaction((tx) => tx.list(stock.name, { counted_at: null }));
      expect(rows.map((row) => row.id)).toEqual([items[3]!.id, absent.id]);
    });

    test('list keeps rows strictly after a timestamp by instant, whatever its text form', async () => {
      expect(await listed({ warehouse_id: w1 }, { after: ['counted_at', '2024-01-01T10:00:00.000Z'] })).toEqual([s2]);
      expect(await listed({ product_id: [uuid(1), uuid(2)] }, { after: ['counted_at', '2024-01-02T09:00:00.000Z'], orderBy: ['counted_at', 'desc'] })).toEqual([s3, s2]);
    });

    test('list orders, breaks ties by id, and limits', async () => {
      expect(await listed({}, { orderBy: ['on_hand', 'desc'], limit: 3 })).toEqual([s3, s1, s4]);
      expect(await listed({}, { orderBy: ['on_hand', 'asc'] })).toEqual([s2, s1, s4, s3]);
      expect(await listed({}, { orderBy: ['warehouse_id', 'desc'] })).toEqual([s3, s4, s1, s2]);
      expect(await listed({}, { limit: 2 })).toEqual([s1, s2]);
      expect(await listed({}, { limit: 0 })).toEqual([]);
    });

    test('list returns what MemoryTx returns over the same rows, for random rows and queries', async () => {
      const { store } = await h.withTables();
      const table = h.own(rowsTable);
      await store.ensureTables([table]);
      await fc.assert(
        fc.asyncProperty(rowsArbitrary, fc.array(fc.tuple(whereArbitrary, optionsArbitrary), { minLength: 1, maxLength: 6 }), async (rows, queries) => {
          await store.transaction(async (tx) => {
            await tx.clear(table.name);
            await tx.putMany(table.name, rows);
          });
          const actual = await store.transaction((tx) => Promise.all(queries.map(([where, options]) => tx.list(table.name, where, options))));
          for (const [index, [where, options]] of queries.entries()) {
            const expected = await memoryList(rows, where, options);
            expect(actual[index]!.map((row) => comparable(rowsTable, row))).toEqual(expected.map((row) => comparable(rowsTable, row)));
          }
        }),
        { numRuns: 100 },
      );
    });
  });
}
