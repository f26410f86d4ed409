/** Transactions (all or nothing, one at a time, attempt), subscribers, and a closed store. */
import { describe, expect, test, vi } from 'vitest';
import { LocalStoreError } from '../local-store.ts';
import { pendingMutation, product, stockItem, uuid, type Harness } from './contract-fixtures.ts';

export function transactionContract(h: Harness): void {
  describe('transactions', () => {
    test('transaction returns what its work returns', async () => {
      const { store } = await h.withTables();
      expect(await store.transaction(async () => ({ answer: 42 }))).toEqual({ answer: 42 });
    });

    test('a throw inside a transaction leaves none of its writes to rows, meta or pending, and reaches the caller as it was thrown', async () => {
      const { store, products, stock } = await h.withTables();
      const [lsn, other] = [h.key('sync:lsn'), h.key('sync:other')];
      await store.transaction(async (tx) => {
        await tx.putMany(products.name, [product(1), product(2)]);
        await tx.put(stock.name, stockItem(1));
        await tx.setMeta(lsn, '7');
        await tx.putPending(pendingMutation(1));
      });
      const refusal = new Error('refused by the work');
      const thrown = await store
        .transaction(async (tx) => {
          await tx.put(products.name, product(3));
          await tx.putMany(products.name, [product(1, { name: 'Changed' }), product(4)]);
          await tx.delete(products.name, uuid(2));
          await tx.clear(stock.name);
          await tx.setMeta(lsn, '8');
          await tx.setMeta(other, { a: 1 });
          await tx.putPending(pendingMutation(2));
          await tx.deletePendingThrough(1);
          throw refusal;
        })
        .catch((error: unknown) => error);
      expect(thrown).toBe(refusal);
      await store.transaction(async (tx) => {
        expect(await tx.list(products.name, {})).toEqual([product(1), product(2)]);
        expect(await tx.list(stock.name, {})).toEqual([stockItem(1)]);
        expect(await tx.getMeta(lsn)).toBe('7');
        expect(await tx.getMeta(other)).toBeUndefined();
        expect(await tx.listPending()).toEqual([pendingMutation(1)]);
      });
    });

    test('concurrent transactions run one after another, never interleaved', async () => {
      const { store, products } = await h.withTables();
      const seenKey = h.key('seen');
      const steps: string[] = [];
      await Promise.all(
        [0, 1, 2, 3, 4].map((n) =>
          store.transaction(async (tx) => {
            steps.push(`begin ${n}`);
            const seen = (await tx.getMeta<number[]>(seenKey)) ?? [];
            await tx.put(products.name, product(n));
            await tx.list(products.name, {});
            await tx.setMeta(seenKey, [...seen, n]);
            steps.push(`end ${n}`);
          }),
        ),
      );
      for (let index = 0; index < steps.length; index += 2) expect(steps[index + 1]).toBe(steps[index]!.replace('begin', 'end'));
      expect(await store.transaction((tx) => tx.getMeta<number[]>(seenKey))).toHaveLength(5);
    });

    test('attempt returns what its work returns and rethrows what it throws', async () => {
      const { store } = await h.withTables();
      await store.transaction(async (tx) => {
        expect(await tx.attempt(async () => 'done')).toBe('done');
        const refusal = new Error('refused inside attempt');
        expect(
          await tx
            .attempt(async () => {
              throw refusal;
            })
            .catch((error: unknown) => error),
        ).toBe(refusal);
      });
    });

    test('after a write that fails inside attempt, the transaction goes on and commits the rest', async () => {
      const { store, products } = await h.withTables();
      await store.transaction(async (tx) => {
        await tx.put(products.name, product(1));
        const failure = await tx.attempt(() => tx.put('test.never_ensured', { id: 'x' })).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(Error);
        await tx.put(products.name, product(2));
      });
      expect(await store.transaction((tx) => tx.list(products.name, {}))).toEqual([product(1), product(2)]);
    });

    test('a closed store refuses transactions with STORE_CLOSED', async () => {
      const store = await h.open();
      await h.close(store);
      const failure = await store.transaction(async () => 1).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(LocalStoreError);
      expect(failure).toMatchObject({ code: 'STORE_CLOSED' });
    });
  });

  describe('subscribe', () => {
    test('a listener hears, after the commit, which tables a transaction wrote', async () => {
      const { store, products, stock } = await h.withTables();
      const heard: string[][] = [];
      const seenByListener: Promise<unknown>[] = [];
      h.listen(store, (tables) => {
        heard.push([...tables].sort());
        // A live query re-reads when told: the commit must be visible by then.
        seenByListener.push(store.transaction((tx) => tx.get(products.name, uuid(1))));
      });
      await store.transaction(async (tx) => {
        await tx.put(products.name, product(1));
        await tx.put(stock.name, stockItem(1));
        await tx.delete(stock.name, uuid(1001));
      });
      await vi.waitFor(() => expect(heard).toEqual([[products.name, stock.name]]));
      expect(await Promise.all(seenByListener)).toEqual([product(1)]);
    });

    test('a rolled-back or read-only transaction notifies nobody', async () => {
      const { store, products, stock } = await h.withTables();
      const heard: string[][] = [];
      h.listen(store, (tables) => heard.push([...tables].sort()));
      await store
        .transaction(async (tx) => {
          await tx.put(products.name, product(1));
          throw new Error('refused by the work');
        })
        .catch(() => undefined);
      await store.transaction((tx) => tx.list(products.name, {}));
      await store.transaction((tx) => tx.clear(stock.name));
      // Notifications come in commit order: once the last is heard, an earlier one would have been.
      await vi.waitFor(() => expect(heard).toContainEqual([stock.name]));
      expect(heard).toEqual([[stock.name]]);
    });

    test('an unsubscribed listener hears nothing more', async () => {
      const { store, products } = await h.withTables();
      const gone: string[][] = [];
      const staying: string[][] = [];
      const unsubscribe = h.listen(store, (tables) => gone.push([...tables]));
      h.listen(store, (tables) => staying.push([...tables]));
      await store.transaction((tx) => tx.put(products.name, product(1)));
      await vi.waitFor(() => expect(gone).toHaveLength(1));
      unsubscribe();
      await store.transaction((tx) => tx.put(products.name, product(2)));
      await vi.waitFor(() => expect(staying).toHaveLength(2));
      expect(gone).toHaveLength(1);
    });
  });
}
