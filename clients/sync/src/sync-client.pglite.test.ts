/** The engine end to end over the embedded server (PGlite + capture triggers) and a PGlite device store. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fakeIndexedDB from 'fake-indexeddb';
import type { PgliteExecutor } from '@niaga/db/pglite';
import { capturedPglite, startShapeServer, type ShapeServer } from '@niaga/sync-server/test-support';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import type { LocalStore } from './local-store.ts';
import { openDexieStore, type DexieStoreOptions } from './dexie/index.ts';
import { webLocksLeader, type LockManagerLike } from './leader-lock.ts';
import { openPgliteStore } from './pglite/index.ts';
import { createSyncClient, type SyncClient } from './sync-client.ts';

const fake = fakeIndexedDB as unknown as { IDBFactory: new () => NonNullable<DexieStoreOptions['indexedDB']>; IDBKeyRange: NonNullable<DexieStoreOptions['IDBKeyRange']> };
let db: PgliteExecutor;
let server: ShapeServer;
const warehouseID = randomUUID();
const productID = randomUUID();
const tables = ['inventory.warehouses', 'inventory.stock_items', 'inventory.movements', 'catalog.products'];
const open: { client: SyncClient; store: LocalStore }[] = [];

beforeAll(async () => {
  db = await capturedPglite();
  await db.query(`insert into inventory.warehouses (id, code, name) values ($1, 'WH-1', 'Main')`, [warehouseID]);
  await db.query(`insert into catalog.products (id, sku, name, price_minor) values ($1, 'TEA-1', 'Tea', 250)`, [productID]);
  server = await startShapeServer(db);
}, 60_000);
afterEach(async () => {
  for (const { client, store } of open.splice(0)) {
    await client.stop();
    await store.close();
  }
});
afterAll(async () => {
  await server?.close();
  await db?.close();
});

const picker = { warehouse_id: warehouseID, sub: randomUUID() };

async function device(store?: LocalStore): Promise<{ client: SyncClient; store: LocalStore }> {
  const local = store ?? (await openPgliteStore());
  const accessToken = await server.token('warehouse', picker);
  const client = await createSyncClient({ serverURL: server.baseUrl, store: local, tables, session: { accessToken, refreshToken: 'unused' }, pushBackoff: { initialMs: 20, maxMs: 200 } });
  open.push({ client, store: local });
  return { client, store: local };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`Timed out; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const stockOf = (store: LocalStore) => store.transaction((tx) => tx.list('inventory.stock_items', { product_id: productID }));

test('a picker syncs, adjusts stock offline-first (seen at once), and the server confirms it', async () => {
  const { client, store } = await device();
  await client.ready();
  expect(client.status).toMatchObject({ phase: 'live', initialSync: { done: true } });
  expect(await store.transaction((tx) => tx.get('inventory.warehouses', warehouseID))).toMatchObject({ code: 'WH-1' });

  const adjustmentID = randomUUID();
  await client.mutate('stock.adjust', { adjustmentID, warehouseID, productID, delta: 7, reason: 'found a box', occurredAt: new Date().toISOString() });
  // Optimistic: visible at once, pending until the server's transaction comes back.
  expect(await stockOf(store)).toMatchObject([{ on_hand: 7 }]);
  expect(client.status.pending).toBe(1);

  await until(async () => client.status, (status) => status.pending === 0);
  expect(await stockOf(store)).toMatchObject([{ on_hand: 7 }]);
  const { rows } = await db.query<{ on_hand: number }>('select on_hand from inventory.stock_items where product_id = $1', [productID]);
  expect(rows).toEqual([{ on_hand: 7 }]);
  expect(await store.transaction((tx) => tx.get('inventory.movements', adjustmentID))).toMatchObject({ quantity: 7 });
});

test('a restarted device resumes from its saved cursors and keeps its rows', async () => {
  const dataDir = `memory://resume-${randomUUID()}`;
  const first = await device(await openPgliteStore({ dataDir }));
  await first.client.ready();
  const before = await stockOf(first.store);
  await first.client.stop();

  // Same store object (an in-memory PGlite cannot be reopened): the client starts from what it saved.
  const again = await device(first.store);
  expect(again.client.status.phase).toBe('live');
  await again.client.ready();
  await db.query(`update inventory.stock_items set on_hand = on_hand + 1, available = available + 1 where product_id = $1`, [productID]);
  const after = await until(() => stockOf(again.store), (rows) => rows[0]?.on_hand === Number(before[0]?.on_hand ?? 0) + 1);
  expect(after).toHaveLength(1);
});

test('an unreadable local database is reported as STORE_CORRUPT; once deleted, the device syncs again from scratch', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'niaga-corrupt-'));
  try {
    const first = await device(await openPgliteStore({ dataDir }));
    await first.client.ready();
    await first.client.stop();
    await first.store.close();
    open.length = 0;
    const base = join(dataDir, 'base');
    for (const database of readdirSync(base)) for (const file of readdirSync(join(base, database))) writeFileSync(join(base, database, file), 'scribbled over');
    await expect(openPgliteStore({ dataDir })).rejects.toMatchObject({ name: 'LocalStoreError', code: 'STORE_CORRUPT' });
    rmSync(dataDir, { recursive: true, force: true });
    const again = await device(await openPgliteStore({ dataDir }));
    await again.client.ready();
    expect(await stockOf(again.store)).toHaveLength(1);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** Web Locks as a browser grants them, for tabs in one process: one holder per name, the next waiter after it. */
function inMemoryLocks(): LockManagerLike {
  const tails = new Map<string, Promise<unknown>>();
  return {
    request(name, options, callback) {
      const previous = tails.get(name) ?? Promise.resolve();
      const granted = previous.then(() => (options.signal.aborted ? undefined : callback({})));
      tails.set(name, granted.catch(() => undefined));
      return granted;
    },
  };
}

test('two tabs on one database: only the leader syncs and pushes, a follower’s mutation reaches the server through the leader, and a closed leader hands over', async () => {
  const locks = inMemoryLocks();
  const name = `tabs-${randomUUID()}`;
  const shared = { indexedDB: new fake.IDBFactory(), IDBKeyRange: fake.IDBKeyRange };
  const accessToken = await server.token('warehouse', picker);
  const tab = async () => {
    const store = await openDexieStore({ name, ...shared });
    const leader = webLocksLeader(`tabs:${name}`, locks);
    const client = await createSyncClient({ serverURL: server.baseUrl, store, tables, session: { accessToken, refreshToken: 'unused' }, leader, pushBackoff: { initialMs: 20, maxMs: 200 } });
    open.push({ client, store });
    return { client, store, leader };
  };
  const first = await tab();
  await first.client.ready();
  const second = await tab();
  await second.client.ready(); // from the store the leader filled
  expect([first.leader.isLeader(), second.leader.isLeader()]).toEqual([true, false]);

  const fromFollower = randomUUID();
  await second.client.mutate('stock.adjust', { adjustmentID: fromFollower, warehouseID, productID, delta: 2, reason: 'second tab', occurredAt: new Date().toISOString() });
  await until(async () => (await db.query('select id from inventory.movements where id = $1', [fromFollower])).rows.length, (count) => count === 1);
  await until(async () => second.client.status.pending, (pending) => pending === 0);

  await first.client.stop();
  await until(async () => second.leader.isLeader(), (leads) => leads);
  const afterHandover = randomUUID();
  await second.client.mutate('stock.adjust', { adjustmentID: afterHandover, warehouseID, productID, delta: 1, reason: 'second tab leads', occurredAt: new Date().toISOString() });
  await until(async () => second.client.status.pending, (pending) => pending === 0);
  const { rows } = await db.query<{ id: string }>('select id from inventory.movements where id = any($1)', [[fromFollower, afterHandover]]);
  expect(rows).toHaveLength(2);
});
