/** Rows: get, put, putMany, delete, clear, and values coming back as they went in. */
import { describe, expect, test } from 'vitest';
import type { LocalRow, TableSpec } from '../local-store.ts';
import { comparable, product, stockItem, uuid, type Harness } from './contract-fixtures.ts';

/** One column of every type the shape stream's `electric-schema` header names. */
const allTypes: TableSpec = {
  name: 'test.all_types',
  columns: [
    { name: 'id', type: 'uuid' },
    { name: 'label', type: 'text' },
    { name: 'small', type: 'int2' },
    { name: 'count', type: 'int4' },
    { name: 'big', type: 'int8' },
    { name: 'amount', type: 'numeric' },
    { name: 'ratio', type: 'float8' },
    { name: 'flag', type: 'bool' },
    { name: 'at', type: 'timestamptz' },
    { name: 'day', type: 'date' },
    { name: 'doc', type: 'jsonb' },
    { name: 'raw', type: 'json' },
    { name: 'tags', type: 'text', dims: 1 },
    { name: 'sizes', type: 'int4', dims: 1 },
    { name: 'grid', type: 'int4', dims: 2 },
  ],
};

/** Values as the shape stream parses them: numerics and timestamps stay Postgres text, int8 is a JS number. */
const everyValue: LocalRow = {
  id: uuid(1),
  label: 'Ünïcode ✓ "quoted", back\\slash and 🚚',
  small: -32768,
  count: 2147483647,
  big: 9007199254740991,
  amount: '12.50',
  ratio: 0.1,
  flag: true,
  at: '2024-05-01 10:00:00.123456+00',
  day: '2024-05-01',
  doc: { nested: { list: [1, 'two', null, true, { deep: [] }] }, empty: {} },
  raw: [1, { a: 'b' }],
  tags: ['a', 'b c'],
  sizes: [1, 2, 3],
  grid: [
    [1, 2],
    [3, 4],
  ],
};

const nulls: LocalRow = {
  id: uuid(2),
  label: '',
  small: 0,
  count: -1,
  big: -9007199254740991,
  amount: null,
  ratio: null,
  flag: false,
  at: null,
  day: null,
  doc: null,
  raw: null,
  tags: [],
  sizes: null,
  grid: null,
};

export function rowsContract(h: Harness): void {
  describe('rows', () => {
    test('get returns a row put earlier, and undefined for an id never put', async () => {
      const { store, products } = await h.withTables();
      await store.transaction((tx) => tx.put(products.name, product(1)));
      await store.transaction(async (tx) => {
        expect(await tx.get(products.name, uuid(1))).toEqual(product(1));
        expect(await tx.get(products.name, uuid(99))).toBeUndefined();
      });
    });

    test('put replaces the whole row: a column it leaves out reads as null or absent', async () => {
      const { store, products } = await h.withTables();
      await store.transaction((tx) => tx.put(products.name, product(1)));
      await store.transaction((tx) => tx.put(products.name, { id: uuid(1), sku: 'NEW', price_minor: 5 }));
      const row = await store.transaction((tx) => tx.get(products.name, uuid(1)));
      expect(comparable(products, row)).toEqual({ id: uuid(1), sku: 'NEW', name: null, price_minor: 5, active: null, attributes: null, updated_at: null });
    });

    test('values come back as they went in: text, integers (int8 as numbers), booleans, null, JSON, arrays, numerics and timestamps as text', async () => {
      const { store } = await h.withTables();
      const table = h.own(allTypes);
      await store.ensureTables([table]);
      await store.transaction((tx) => tx.putMany(table.name, [everyValue, nulls]));
      await store.transaction(async (tx) => {
        expect(await tx.get(table.name, uuid(1))).toEqual(everyValue);
        expect(await tx.get(table.name, uuid(2))).toEqual(nulls);
      });
    });

    test('a timestamp given in ISO form comes back as the same instant', async () => {
      const { store, products } = await h.withTables();
      await store.transaction((tx) => tx.put(products.name, product(1, { updated_at: '2024-05-01T12:30:00.250+02:00' })));
      const row = await store.transaction((tx) => tx.get(products.name, uuid(1)));
      expect(Date.parse(String(row?.updated_at))).toBe(Date.parse('2024-05-01T10:30:00.250Z'));
    });

    test('putMany writes 10,000 rows in one call', async () => {
      const { store, products } = await h.withTables();
      const rows = Array.from({ length: 10_000 }, (_, n) => product(n + 1));
      await store.transaction((tx) => tx.putMany(products.name, rows));
      await store.transaction(async (tx) => {
        expect(await tx.list(products.name, {})).toHaveLength(10_000);
        expect(await tx.get(products.name, uuid(1))).toEqual(product(1));
        expect(await tx.get(products.name, uuid(10_000))).toEqual(product(10_000));
        expect(await tx.list(products.name, { sku: 'SKU-05000' })).toEqual([product(5000)]);
      });
    });

    test('putMany replaces the rows with ids already there and does nothing with an empty list', async () => {
      const { store, products } = await h.withTables();
      await store.transaction((tx) => tx.putMany(products.name, [product(1), product(2)]));
      await store.transaction(async (tx) => {
        await tx.putMany(products.name, [product(2, { name: 'Renamed' }), product(3)]);
        await tx.putMany(products.name, []);
      });
      expect(await store.transaction((tx) => tx.list(products.name, {}))).toEqual([product(1), product(2, { name: 'Renamed' }), product(3)]);
    });

    test('delete removes one row and ignores an id that is not there', async () => {
      const { store, products } = await h.withTables();
      await store.transaction((tx) => tx.putMany(products.name, [product(1), product(2)]));
      await store.transaction(async (tx) => {
        await tx.delete(products.name, uuid(1));
        await tx.delete(products.name, uuid(99));
      });
      expect(await store.transaction((tx) => tx.list(products.name, {}))).toEqual([product(2)]);
    });

    test('clear removes every row of one table and no other', async () => {
      const { store, products, stock } = await h.withTables();
      await store.transaction(async (tx) => {
        await tx.putMany(products.name, [product(1), product(2)]);
        await tx.put(stock.name, stockItem(1));
      });
      await store.transaction((tx) => tx.clear(products.name));
      await store.transaction(async (tx) => {
        expect(await tx.list(products.name, {})).toEqual([]);
        expect(await tx.list(stock.name, {})).toEqual([stockItem(1)]);
      });
    });

    test('a transaction reads its own writes before it commits', async () => {
      const { store, products } = await h.withTables();
      await store.transaction((tx) => tx.put(products.name, product(1)));
      await store.transaction(async (tx) => {
        await tx.put(products.name, product(2));
        expect(await tx.get(products.name, uuid(2))).toEqual(product(2));
        expect(await tx.list(products.name, { sku: product(2).sku })).toEqual([product(2)]);
        await tx.delete(products.name, uuid(1));
        expect(await tx.get(products.name, uuid(1))).toBeUndefined();
        await tx.clear(products.name);
        expect(await tx.list(products.name, {})).toEqual([]);
        await tx.putMany(products.name, [product(3)]);
        expect(await tx.list(products.name, {})).toEqual([product(3)]);
      });
    });
  });
}
