/** ensureTables and tables(): created, idempotent, grown without losing rows, remembered across a restart. */
import { describe, expect, test } from 'vitest';
import { LocalStoreError, type TableSpec } from '../local-store.ts';
import { comparable, pendingMutation, product, products as productsTemplate, specsOf, stock as stockTemplate, stockItem, uuid, type Harness } from './contract-fixtures.ts';

export function tablesContract(h: Harness): void {
  describe('tables', () => {
    test('a new store has no tables', async () => {
      const store = await h.open();
      expect(await store.tables()).toEqual([]);
    });

    test('ensureTables creates the tables it is given, empty and ready for rows', async () => {
      const { store, products, stock } = await h.withTables();
      expect(await specsOf(store, [products.name, stock.name])).toEqual([products, stock]);
      await store.transaction(async (tx) => {
        expect(await tx.list(products.name, {})).toEqual([]);
        expect(await tx.list(stock.name, {})).toEqual([]);
        await tx.put(products.name, product(1));
        await tx.put(stock.name, stockItem(1));
      });
      expect(await store.transaction((tx) => tx.get(products.name, uuid(1)))).toEqual(product(1));
    });

    test('ensureTables with the same tables again changes nothing and keeps the rows', async () => {
      const { store, products, stock } = await h.withTables();
      await store.transaction((tx) => tx.putMany(products.name, [product(1), product(2)]));
      await store.ensureTables([products, stock]);
      await store.ensureTables([products]);
      expect(await specsOf(store, [products.name, stock.name])).toEqual([products, stock]);
      expect(await store.transaction((tx) => tx.list(products.name, {}))).toEqual([product(1), product(2)]);
    });

    test('ensureTables adds a new column to a table that has rows, and keeps them', async () => {
      const { store, products } = await h.withTables();
      await store.transaction((tx) => tx.put(products.name, product(1)));
      const grown: TableSpec = { ...products, columns: [...products.columns, { name: 'barcode', type: 'text' }], indexes: ['sku', 'barcode'] };
      await store.ensureTables([grown]);

      expect((await specsOf(store, [products.name]))[0]?.columns).toEqual(grown.columns);
      const [kept, added] = await store.transaction(async (tx) => {
        await tx.put(products.name, product(2, { barcode: '4006381333931' }));
        return [await tx.get(products.name, uuid(1)), await tx.list(products.name, { barcode: '4006381333931' })];
      });
      expect(comparable(grown, kept)).toEqual(comparable(grown, product(1)));
      expect(added).toEqual([product(2, { barcode: '4006381333931' })]);
    });

    test('ensureTables adds a new table later without touching the others', async () => {
      const { store, products } = await h.withTables();
      await store.transaction((tx) => tx.put(products.name, product(1)));
      const later = h.own(stockTemplate);
      await store.ensureTables([later]);
      expect(await specsOf(store, [products.name, later.name])).toEqual([products, later]);
      await store.transaction((tx) => tx.put(later.name, stockItem(1)));
      expect(await store.transaction((tx) => tx.list(products.name, {}))).toEqual([product(1)]);
    });

    test('a later ensureTables that leaves a column out drops no data', async () => {
      const { store, products } = await h.withTables();
      await store.transaction((tx) => tx.put(products.name, product(1)));
      await store.ensureTables([{ ...products, columns: products.columns.filter((column) => column.name !== 'name') }]);
      expect(await store.transaction((tx) => tx.get(products.name, uuid(1)))).toMatchObject({ name: 'Product 1' });
    });

    test('tables, rows, meta and the pending queue survive closing and reopening the store', async () => {
      const name = h.uniqueName();
      const [products, stock] = [productsTemplate, stockTemplate];
      const first = await h.openNamed(name);
      expect(await first.tables()).toEqual([]);
      await first.ensureTables([products, stock]);
      await first.transaction(async (tx) => {
        await tx.putMany(products.name, [product(1), product(2)]);
        await tx.setMeta('shape:catalog.products', { handle: 'h-1', offset: '0_0' });
        await tx.putPending(pendingMutation(1));
      });
      await h.close(first);

      const again = await h.openNamed(name);
      expect(await specsOf(again, [products.name, stock.name])).toEqual([products, stock]);
      expect(await again.tables()).toHaveLength(2);
      await again.transaction(async (tx) => {
        expect(await tx.list(products.name, {})).toEqual([product(1), product(2)]);
        expect(await tx.getMeta('shape:catalog.products')).toEqual({ handle: 'h-1', offset: '0_0' });
        expect(await tx.listPending()).toEqual([pendingMutation(1)]);
      });
      // It grows further after the restart, still keeping its rows.
      const grown: TableSpec = { ...stock, columns: [...stock.columns, { name: 'bin', type: 'text' }] };
      await again.ensureTables([grown]);
      await again.transaction((tx) => tx.put(stock.name, stockItem(1, { bin: 'A-01' })));
      expect(await again.transaction((tx) => tx.get(stock.name, stockItem(1).id as string))).toEqual(stockItem(1, { bin: 'A-01' }));
      expect(await again.transaction((tx) => tx.list(products.name, {}))).toHaveLength(2);
    });

    test('a transaction that writes to a table never ensured fails with a LocalStoreError and writes nothing', async () => {
      const { store, products } = await h.withTables();
      const failure = await store
        .transaction(async (tx) => {
          await tx.put(products.name, product(1));
          await tx.put('test.never_ensured', { id: 'x' });
        })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(LocalStoreError);
      expect(await store.transaction((tx) => tx.list(products.name, {}))).toEqual([]);
    });

    test('ensureTables while transactions run leaves them and itself whole', async () => {
      const { store, products, stock } = await h.withTables();
      const added = h.own({ name: 'test.added', columns: [{ name: 'id', type: 'text' }], indexes: [] });
      const writes = store.transaction(async (tx) => {
        for (let n = 1; n <= 30; n++) await tx.put(products.name, product(n));
      });
      const ensure = store.ensureTables([added]);
      const more = store.transaction((tx) => tx.put(stock.name, stockItem(1)));
      await Promise.all([writes, ensure, more]);
      await store.transaction(async (tx) => {
        expect(await tx.list(products.name, {})).toHaveLength(30);
        expect(await tx.list(stock.name, {})).toEqual([stockItem(1)]);
        await tx.put(added.name, { id: 'a' });
      });
    });
  });
}
