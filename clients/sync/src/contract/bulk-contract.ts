/** The bulk calls (getMany, deleteMany, putPendingMany): one call, the same effect as the single ones. */
import { describe, expect, test } from 'vitest';
import { pendingMutation, product, uuid, type Harness } from './contract-fixtures.ts';

export function bulkContract(h: Harness): void {
  describe('bulk calls', () => {
    test('getMany returns the rows in the order of the ids asked, undefined for an id not there, a repeated id twice', async () => {
      const { store, products } = await h.withTables();
      await store.transaction((tx) => tx.putMany(products.name, [product(1), product(2), product(3)]));
      await store.transaction(async (tx) => {
        expect(await tx.getMany(products.name, [uuid(3), uuid(99), uuid(1), uuid(3)])).toEqual([product(3), undefined, product(1), product(3)]);
        expect(await tx.getMany(products.name, [])).toEqual([]);
      });
    });

    test('getMany sees the transaction’s own writes', async () => {
      const { store, products } = await h.withTables();
      await store.transaction(async (tx) => {
        await tx.put(products.name, product(1));
        await tx.delete(products.name, uuid(1));
        await tx.put(products.name, product(2));
        expect(await tx.getMany(products.name, [uuid(1), uuid(2)])).toEqual([undefined, product(2)]);
      });
    });

    test('deleteMany removes the rows with those ids, ignores ids not there, and does nothing with none', async () => {
      const { store, products } = await h.withTables();
      await store.transaction((tx) => tx.putMany(products.name, [product(1), product(2), product(3)]));
      await store.transaction(async (tx) => {
        await tx.deleteMany(products.name, [uuid(3), uuid(1), uuid(99)]);
        await tx.deleteMany(products.name, []);
      });
      expect(await store.transaction((tx) => tx.list(products.name, {}))).toEqual([product(2)]);
    });

    test('putPendingMany inserts and replaces pending mutations as putPending of each does', async () => {
      const { store } = await h.withTables();
      await store.transaction((tx) => tx.putPending(pendingMutation(2)));
      const replaced = pendingMutation(2, { args: undefined, undo: [], reads: { keys: [], lists: [] } });
      await store.transaction(async (tx) => {
        await tx.putPendingMany([pendingMutation(3), replaced, pendingMutation(1)]);
        await tx.putPendingMany([]);
      });
      expect(await store.transaction((tx) => tx.listPending())).toEqual([pendingMutation(1), replaced, pendingMutation(3)]);
    });
  });
}
