import { afterEach, describe, expect, test, vi } from 'vitest';
import { describeStoreContract } from '../contract/store-contract.ts';
import { LocalStoreError, type LocalStore, type TableSpec } from '../local-store.ts';
import { fakeIDB } from '../test-support/test-helpers.ts';
import { openDexieStore } from './dexie-store.ts';

const { IDBKeyRange } = fakeIDB;
// One fake IndexedDB per file; each store gets its own database name, so tests never share data.
const indexedDB = new fakeIDB.IDBFactory();
let opened = 0;
const freshName = () => `dexie-test-${++opened}`;

describeStoreContract('dexie', (name) => openDexieStore({ name: name ?? freshName(), indexedDB, IDBKeyRange }));

describe('dexie store', () => {
  const stores: LocalStore[] = [];
  const open = async (name: string) => {
    const store = await openDexieStore({ name, indexedDB, IDBKeyRange });
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  const notes: TableSpec = { name: 'test.notes', columns: [{ name: 'id', type: 'text' }, { name: 'body', type: 'text' }], indexes: ['body'] };
  const tags: TableSpec = { name: 'test.tags', columns: [{ name: 'id', type: 'text' }] };

  test('reports itself as the dexie store', async () => {
    expect((await open(freshName())).kind).toBe('dexie');
  });

  test('subscribers hear the writes another instance commits to the same database (another tab)', async () => {
    const name = freshName();
    const here = await open(name);
    const there = await open(name);
    await here.ensureTables([notes]);
    const heard: string[][] = [];
    here.subscribe((tables) => heard.push([...tables]));
    await there.transaction((tx) => tx.put(notes.name, { id: 'n1', body: 'from another tab' }));
    await vi.waitFor(() => expect(heard).toEqual([[notes.name]]));
    expect(await here.transaction((tx) => tx.get(notes.name, 'n1'))).toEqual({ id: 'n1', body: 'from another tab' });
  });

  test('a table another instance ensured is usable here, and this instance keeps working', async () => {
    const name = freshName();
    const here = await open(name);
    await here.ensureTables([notes]);
    await here.transaction((tx) => tx.put(notes.name, { id: 'n1', body: 'kept' }));
    const there = await open(name);
    await there.ensureTables([tags]);
    await there.transaction((tx) => tx.put(tags.name, { id: 't1' }));

    expect((await here.tables()).map((spec) => spec.name)).toEqual([notes.name, tags.name]);
    await here.transaction(async (tx) => {
      expect(await tx.get(tags.name, 't1')).toEqual({ id: 't1' });
      expect(await tx.get(notes.name, 'n1')).toEqual({ id: 'n1', body: 'kept' });
      await tx.put(tags.name, { id: 't2' });
    });
  });

  test('awaiting a timer inside a transaction makes the next call fail with a LocalStoreError that says why', async () => {
    const store = await open(freshName());
    await store.ensureTables([notes]);
    const failure = await store
      .transaction(async (tx) => {
        await tx.put(notes.name, { id: 'n1', body: 'before the timer' });
        await new Promise((resolve) => setTimeout(resolve, 5));
        await tx.put(notes.name, { id: 'n2', body: 'after the timer' });
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LocalStoreError);
    expect(failure).toMatchObject({ code: 'STORE_FAILED', message: expect.stringContaining('await only the store') as unknown });
  });

  test('a transaction started inside a transaction of the same store is refused instead of waiting for ever', async () => {
    const store = await open(freshName());
    await store.ensureTables([notes]);
    const failure = await store
      .transaction(async (tx) => {
        await tx.put(notes.name, { id: 'n1', body: 'outer' });
        await store.transaction((inner) => inner.put(notes.name, { id: 'n2', body: 'inner' }));
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(LocalStoreError);
    expect(await store.transaction((tx) => tx.list(notes.name, {}))).toEqual([]);
  });

  test('a closed store refuses ensureTables and tables() with STORE_CLOSED too', async () => {
    const store = await openDexieStore({ name: freshName(), indexedDB, IDBKeyRange });
    await store.close();
    await store.close();
    await expect(store.ensureTables([notes])).rejects.toMatchObject({ code: 'STORE_CLOSED' });
    await expect(store.tables()).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  });

  test('a row without a text id is refused with a LocalStoreError', async () => {
    const store = await open(freshName());
    await store.ensureTables([notes]);
    const failure = await store.transaction((tx) => tx.put(notes.name, { body: 'no id' })).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'LocalStoreError', code: 'STORE_FAILED' });
  });
});
