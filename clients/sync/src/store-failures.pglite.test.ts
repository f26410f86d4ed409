/**
 * The client over a local store that fails to write (a full disk) or is closed under it, against
 * the embedded server (PGlite + capture triggers) and real local engines.
 */
import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { afterEach, expect, test } from 'vitest';
import type { LocalStore } from './local-store.ts';
import { deleteDexieStore, openDexieStore } from './dexie/index.ts';
import { emptyDatabase, openPgliteStore, pgliteParsers } from './pglite/index.ts';
import { pickerTables, useEmbeddedBackend } from './test-support/embedded-backend.ts';
import { fakeIDB, until } from './test-support/test-helpers.ts';
import { TestNetwork } from './test-support/network.ts';
import { createSyncClient } from './sync-client.ts';

const backend = useEmbeddedBackend({ stock: true });
const { warehouseID, productID, picker, open } = backend;
const tables = pickerTables;

/**
 * A PGlite device store, and a switch that makes its writes to one table fail as on a full disk
 * (SQLSTATE 53100, raised by the engine itself in the local transaction).
 */
async function fillableStore(): Promise<{ store: LocalStore; full: (table: string | undefined) => Promise<void> }> {
  const local = new PGlite({ loadDataDir: await emptyDatabase(), parsers: pgliteParsers });
  const store = await openPgliteStore({ db: local });
  await local.exec(`
    create table public.disk_full (table_name text primary key);
    create function public.refuse_write() returns trigger language plpgsql as $$
    begin
      if exists (select from public.disk_full where table_name = tg_table_schema || '.' || tg_table_name) then
        raise exception 'could not extend file "base/5/16400": No space left on device' using errcode = '53100';
      end if;
      return new;
    end $$;`);
  const guarded = new Set<string>();
  return {
    store,
    async full(table) {
      await local.exec('delete from public.disk_full');
      if (!table) return;
      const [schema, name] = table.split('.');
      if (!guarded.has(table)) {
        guarded.add(table);
        await local.exec(`create trigger refuse_write before insert or update or delete on "${schema}"."${name}" for each row execute function public.refuse_write()`);
      }
      await local.query('insert into public.disk_full values ($1)', [table]);
    },
  };
}

/**
 * A Dexie store on fake-indexeddb whose puts into one object store fail as a browser's do when
 * the origin's quota is used up (a QuotaExceededError DOMException).
 */
async function fillableDexieStore(): Promise<{ store: LocalStore; full: (objectStore: string | undefined) => void }> {
  const factory = new fakeIDB.IDBFactory();
  const store = await openDexieStore({ name: `quota-${randomUUID()}`, indexedDB: factory, IDBKeyRange: fakeIDB.IDBKeyRange });
  const prototype = (fakeIDB as unknown as { IDBObjectStore: { prototype: { put: (...args: unknown[]) => unknown; name: string } } }).IDBObjectStore.prototype;
  const put = prototype.put;
  let fullStore: string | undefined;
  prototype.put = function (this: { name: string }, ...args: unknown[]) {
    if (this.name === fullStore) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    return put.apply(this, args);
  };
  restore.push(() => (prototype.put = put));
  return { store, full: (objectStore) => void (fullStore = objectStore) };
}
const restore: (() => void)[] = [];
afterEach(() => {
  for (const undo of restore.splice(0)) undo();
});

async function device(store: LocalStore, fetch?: typeof globalThis.fetch, pushBackoff = { initialMs: 20, maxMs: 200 }) {
  const session = { accessToken: await backend.server.token('warehouse', picker), refreshToken: 'unused' };
  const client = await createSyncClient({ serverURL: backend.server.baseUrl, store, tables, session, ...(fetch ? { fetch } : {}), pushBackoff });
  open.push({ client, store });
  return { client };
}

const serverStock = async () => (await backend.db.query<{ on_hand: number }>('select on_hand from inventory.stock_items where product_id = $1', [productID])).rows[0]!.on_hand;
const localStock = async (store: LocalStore) => Number((await store.transaction((tx) => tx.list('inventory.stock_items', { product_id: productID })))[0]?.on_hand);

test('a server change whose local commit fails (disk full) is not lost: the error shows, and once writes work again the device catches up', async () => {
  const { store, full } = await fillableStore();
  const { client } = await device(store);
  await client.ready();
  await full('inventory.stock_items');
  await backend.db.query(`update inventory.stock_items set on_hand = on_hand + 5, available = available + 5 where product_id = $1`, [productID]);
  await until(async () => client.status.lastError?.code, (code) => code === 'STORE_QUOTA', 'the failed commit to show');
  expect(await localStock(store)).toBe(10);
  await full(undefined);
  // Another change, to another row: it commits.
  await backend.db.query(`update inventory.warehouses set name = 'Main (renamed)' where id = $1`, [warehouseID]);
  await until(async () => (await store.transaction((tx) => tx.get('inventory.warehouses', warehouseID)))?.name, (name) => name === 'Main (renamed)', 'the rename to arrive');
  const expected = await serverStock();
  await until(() => localStock(store), (stock) => stock === expected, 'the stock change to arrive', 5_000);
  await until(async () => client.status.lastError, (error) => error === null, 'the error to clear', 5_000);
});

test('reconnect() (the app’s retry, once space was freed) starts the streams again at once rather than at the end of their backoff', async () => {
  const { store, full } = await fillableStore();
  const { client } = await device(store, undefined, { initialMs: 20_000, maxMs: 20_000 });
  await client.ready();
  await full('inventory.stock_items');
  await backend.db.query(`update inventory.stock_items set on_hand = on_hand + 1, available = available + 1 where product_id = $1`, [productID]);
  await until(async () => client.status.lastError?.code, (code) => code === 'STORE_QUOTA', 'the failed commit to show');
  await full(undefined);
  client.reconnect();
  const expected = await serverStock();
  await until(() => localStock(store), (stock) => stock === expected, 'the stock change to arrive', 5_000);
});

test('the same on IndexedDB: a commit aborted by QuotaExceededError loses no server change, and the device catches up once writes work again', async () => {
  const { store, full } = await fillableDexieStore();
  const { client } = await device(store);
  await client.ready();
  const before = await localStock(store);
  full('rows:inventory.stock_items');
  await backend.db.query(`update inventory.stock_items set on_hand = on_hand + 1, available = available + 1 where product_id = $1`, [productID]);
  await until(async () => client.status.lastError?.code, (code) => code === 'STORE_QUOTA', 'the failed commit to show');
  expect(await localStock(store)).toBe(before);
  full(undefined);
  await backend.db.query(`update inventory.warehouses set name = 'Main (renamed again)' where id = $1`, [warehouseID]);
  await until(async () => (await store.transaction((tx) => tx.get('inventory.warehouses', warehouseID)))?.name, (name) => name === 'Main (renamed again)', 'the rename to arrive');
  const expected = await serverStock();
  await until(() => localStock(store), (stock) => stock === expected, 'the stock change to arrive', 5_000);
  await until(async () => client.status.lastError, (error) => error === null, 'the error to clear', 5_000);
});

test('a first sync whose snapshot rows cannot be written (quota) loses none of them: the rows written early wait, the first commit is made again, and the device is ready once writes work again', async () => {
  const { store, full } = await fillableDexieStore();
  full('rows:catalog.products');
  const { client } = await device(store);
  await until(async () => client.status.lastError?.code, (code) => code === 'STORE_QUOTA', 'the failed writes to show', 10_000);
  expect(client.status.initialSync.done).toBe(false);
  full(undefined);
  await client.ready();
  expect(await store.transaction(async (tx) => (await tx.get('catalog.products', productID))?.sku)).toBe('TEA-1');
  expect(await localStock(store)).toBe(await serverStock());
  await until(async () => client.status.lastError, (error) => error === null, 'the error to clear', 5_000);
});

test('a mutation the store cannot record (disk full) rejects with STORE_QUOTA and leaves nothing behind; once writes work again mutations record and reach the server', async () => {
  const { store, full } = await fillableStore();
  const { client } = await device(store);
  await client.ready();
  const before = await localStock(store);
  await full('niaga_sync.pending');
  const adjust = (delta: number) => client.mutate('stock.adjust', { adjustmentID: randomUUID(), warehouseID, productID, delta, reason: 'recount', occurredAt: new Date().toISOString() });
  await expect(adjust(4)).rejects.toMatchObject({ name: 'LocalStoreError', code: 'STORE_QUOTA' });
  expect(client.status).toMatchObject({ pending: 0, lastError: { code: 'STORE_QUOTA' } });
  expect(await localStock(store)).toBe(before);
  expect(await store.transaction((tx) => tx.listPending())).toEqual([]);

  await full(undefined);
  const receipt = await adjust(2);
  expect(receipt.id).toBe(1);
  expect(client.status.lastError).toBeNull();
  await until(async () => client.status.pending, (pending) => pending === 0, 'the queue to drain', 10_000);
  expect(await serverStock()).toBe(before + 2);
  expect(await localStock(store)).toBe(before + 2);
});

test.each(['_pending', 'rows:inventory.movements'])('on IndexedDB, a mutation whose write to %s fails (quota) rejects with STORE_QUOTA and leaves nothing behind', async (objectStore) => {
  const { store, full } = await fillableDexieStore();
  const { client } = await device(store);
  await client.ready();
  const before = await localStock(store);
  full(objectStore);
  const adjustmentID = randomUUID();
  await expect(client.mutate('stock.adjust', { adjustmentID, warehouseID, productID, delta: 4, reason: 'recount', occurredAt: new Date().toISOString() })).rejects.toMatchObject({ name: 'LocalStoreError', code: 'STORE_QUOTA' });
  full(undefined);
  expect(client.status).toMatchObject({ pending: 0, lastError: { code: 'STORE_QUOTA' } });
  expect(await localStock(store)).toBe(before);
  expect(await store.transaction((tx) => tx.get('inventory.movements', adjustmentID))).toBeUndefined();
  expect(await store.transaction((tx) => tx.listPending())).toEqual([]);
});

test('a confirmation whose local commit fails (disk full) leaves the mutation pending, its effect shown once; once writes work again it is confirmed', async () => {
  const network = new TestNetwork();
  const { store, full } = await fillableStore();
  const { client } = await device(store, network.fetch);
  await client.ready();
  const before = await serverStock();
  network.down();
  await client.mutate('stock.adjust', { adjustmentID: randomUUID(), warehouseID, productID, delta: 3, reason: 'found a box', occurredAt: new Date().toISOString() });
  await full('sync.clients');
  network.up();
  client.reconnect();
  await until(async () => client.status.lastError?.code, (code) => code === 'STORE_QUOTA', 'the confirmation’s commit to fail', 10_000);
  expect(await serverStock()).toBe(before + 3);
  expect((await store.transaction((tx) => tx.listPending())).map((mutation) => mutation.id)).toEqual([1]);
  expect(await localStock(store)).toBe(before + 3);

  await full(undefined);
  await until(async () => client.status.pending, (pending) => pending === 0, 'the confirmation to commit', 10_000);
  expect(await store.transaction((tx) => tx.listPending())).toEqual([]);
  expect(await localStock(store)).toBe(before + 3);
  expect(await serverStock()).toBe(before + 3);
  expect(client.status.lastError).toBeNull();
});

test('a first commit the store cannot write (disk full) is made again once it can: the device becomes ready', async () => {
  const { store, full } = await fillableStore();
  const { client } = await device(store);
  await full('niaga_sync.meta');
  await until(async () => client.status.lastError?.code, (code) => code === 'STORE_QUOTA', 'the first commit to fail', 10_000);
  expect(client.status.initialSync.done).toBe(false);
  await full(undefined);
  await client.ready();
  expect(await localStock(store)).toBe(await serverStock());
  expect(client.status.lastError).toBeNull();
});

/** A fetch that counts the requests made through it. */
function countingFetch() {
  const counter = { requests: 0, fetch: ((input, init) => {
    counter.requests++;
    return fetch(input, init);
  }) as typeof fetch };
  return counter;
}
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a store the app closes under a running client: STORE_CLOSED shows, mutations are refused, nothing loops, and stop() still ends it', async () => {
  const store = await openPgliteStore({ template: await emptyDatabase() });
  const counter = countingFetch();
  const { client } = await device(store, counter.fetch);
  await client.ready();
  await store.close();
  await backend.db.query(`update inventory.warehouses set name = 'Closed under' where id = $1`, [warehouseID]);
  await until(async () => client.status.lastError?.code, (code) => code === 'STORE_CLOSED', 'the closed store to show', 10_000);
  await expect(client.mutate('stock.adjust', { adjustmentID: randomUUID(), warehouseID, productID, delta: 1, reason: 'recount', occurredAt: new Date().toISOString() })).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  const before = counter.requests;
  await settle(1_500);
  expect(counter.requests - before).toBeLessThan(10);
  expect(client.status.lastError?.code).toBe('STORE_CLOSED');
  await client.stop();
});

test('an IndexedDB database deleted under a running client (another tab’s reset) is not made anew: STORE_CLOSED, and mutations are refused rather than given ids the server has seen', async () => {
  const shared = { name: `deleted-${randomUUID()}`, indexedDB: new fakeIDB.IDBFactory(), IDBKeyRange: fakeIDB.IDBKeyRange };
  const store = await openDexieStore(shared);
  const counter = countingFetch();
  const { client } = await device(store, counter.fetch);
  await client.ready();
  const adjust = () => client.mutate('stock.adjust', { adjustmentID: randomUUID(), warehouseID, productID, delta: 1, reason: 'recount', occurredAt: new Date().toISOString() });
  expect((await adjust()).id).toBe(1);
  await until(async () => client.status.pending, (pending) => pending === 0, 'the queue to drain', 10_000);

  await deleteDexieStore(shared);
  await expect(adjust()).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  await backend.db.query(`update inventory.warehouses set name = 'Deleted under' where id = $1`, [warehouseID]);
  await until(async () => client.status.lastError?.code, (code) => code === 'STORE_CLOSED', 'the deleted store to show', 10_000);
  const before = counter.requests;
  await settle(1_500);
  expect(counter.requests - before).toBeLessThan(10);
  await expect(adjust()).rejects.toMatchObject({ code: 'STORE_CLOSED' });
  const factory = shared.indexedDB as unknown as { databases(): Promise<{ name?: string }[]> };
  expect((await factory.databases()).map((database) => database.name)).not.toContain(shared.name);
  await client.stop();
});
