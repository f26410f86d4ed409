/** Meta values and the queue of pending mutations. */
import { describe, expect, test } from 'vitest';
import { pendingMutation, type Harness } from './contract-fixtures.ts';

export function queueContract(h: Harness): void {
  describe('meta', () => {
    test('setMeta keeps JSON values that getMeta returns, and undefined removes the key', async () => {
      const { store } = await h.withTables();
      const values = { text: 'h-1', number: 42, fraction: 1.5, yes: true, no: false, nothing: null, object: { handle: 'h', offset: '1_2', nested: [1, 'x', null] }, list: [3, 2, 1] };
      const keys = Object.fromEntries(Object.keys(values).map((name) => [name, h.key(name)]));
      const neverSet = h.key('never-set');
      await store.transaction(async (tx) => {
        for (const [name, value] of Object.entries(values)) await tx.setMeta(keys[name]!, value);
      });
      await store.transaction(async (tx) => {
        for (const [name, value] of Object.entries(values)) expect(await tx.getMeta(keys[name]!)).toEqual(value);
        expect(await tx.getMeta(neverSet)).toBeUndefined();
        await tx.setMeta(keys.text!, undefined);
        await tx.setMeta(neverSet, undefined);
      });
      await store.transaction(async (tx) => {
        expect(await tx.getMeta(keys.text!)).toBeUndefined();
        expect(await tx.getMeta(keys.number!)).toBe(42);
      });
    });

    test('setMeta replaces the value of a key', async () => {
      const { store } = await h.withTables();
      const key = h.key('sync:lsn');
      await store.transaction((tx) => tx.setMeta(key, '10'));
      await store.transaction((tx) => tx.setMeta(key, '11'));
      expect(await store.transaction((tx) => tx.getMeta<string>(key))).toBe('11');
    });
  });

  describe('pending mutations', () => {
    test('listPending returns the pending mutations by id ascending, whatever order they were put in', async () => {
      const { store } = await h.withTables();
      await store.transaction(async (tx) => {
        for (const id of [3, 1, 10, 2]) await tx.putPending(pendingMutation(id));
      });
      expect(await store.transaction((tx) => tx.listPending())).toEqual([1, 2, 3, 10].map((id) => pendingMutation(id)));
    });

    test('putPending with an id already queued replaces that mutation', async () => {
      const { store } = await h.withTables();
      await store.transaction(async (tx) => {
        await tx.putPending(pendingMutation(1));
        await tx.putPending(pendingMutation(2));
      });
      const replaced = pendingMutation(1, { args: { counted: 9 }, undo: [] });
      await store.transaction((tx) => tx.putPending(replaced));
      expect(await store.transaction((tx) => tx.listPending())).toEqual([replaced, pendingMutation(2)]);
    });

    test('deletePendingThrough removes the mutations up to and including the id, and no others', async () => {
      const { store } = await h.withTables();
      await store.transaction(async (tx) => {
        for (const id of [1, 2, 3, 4]) await tx.putPending(pendingMutation(id));
      });
      await store.transaction((tx) => tx.deletePendingThrough(2));
      expect(await store.transaction((tx) => tx.listPending())).toEqual([pendingMutation(3), pendingMutation(4)]);
      await store.transaction((tx) => tx.deletePendingThrough(0));
      expect(await store.transaction((tx) => tx.listPending())).toHaveLength(2);
      await store.transaction((tx) => tx.deletePendingThrough(100));
      expect(await store.transaction((tx) => tx.listPending())).toEqual([]);
    });
  });
}
