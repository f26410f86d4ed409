/**
 * Two clients over one store in one process (tabs, or two parts of an app), with the leadership
 * they get by default, against the embedded server (PGlite + capture triggers).
 */
import { randomUUID } from 'node:crypto';
import type { PgliteExecutor } from '@niaga/db/pglite';
import { capturedPglite, startShapeServer, type ShapeServer } from '@niaga/sync-server/test-support';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import type { LocalStore } from './local-store.ts';
import { openDexieStore } from './dexie/index.ts';
import { fakeIDB, until } from './test-support/test-helpers.ts';
import { createSyncClient, type SyncClient } from './sync-client.ts';

let db: PgliteExecutor;
let server: ShapeServer;
const warehouseID = randomUUID();
const productID = randomUUID();
const tables = ['inventory.warehouses', 'inventory.stock_items', 'inventory.movements', 'catalog.products'];
const picker = { warehouse_id: warehouseID, sub: randomUUID() };
const open: { client: SyncClient; store: LocalStore }[] = [];

beforeAll(async () => {
  db = await capturedPglite();
  await db.query(`insert into inventory.warehouses (id, code, name) values ($1, 'WH-1', 'Main')`, [warehouseID]);
  await db.query(`insert into catalog.products (id, sku, name, price_minor) values ($1, 'TEA-1', 'Tea', 250)`, [productID]);
  await db.query(`insert into inventory.stock_items (warehouse_id, product_id, on_hand, available) values ($1, $2, 10, 10)`, [warehouseID, productID]);
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

/** A fetch that records each request's path and, for pushes, the mutation ids it carried. */
function recordingFetch() {
  const record = { shapes: 0, pushed: [] as number[] };
  const fetchRecorded: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.pathname === '/v1/shape') record.shapes++;
    if (url.pathname === '/api/v1/sync/push') record.pushed.push(...(JSON.parse(init?.body as string) as { mutations: { id: number }[] }).mutations.map((mutation) => mutation.id));
    return fetch(input, init);
  };
  return { record, fetch: fetchRecorded };
}

test('two clients over one IndexedDB database in one process, with the default leadership: one streams and pushes, the other follows, and takes over when the first stops, losing and repeating nothing', async () => {
  const shared = { name: `tabs-${randomUUID()}`, indexedDB: new fakeIDB.IDBFactory(), IDBKeyRange: fakeIDB.IDBKeyRange };
  const accessToken = await server.token('warehouse', picker);
  const tab = async () => {
    const store = await openDexieStore(shared);
    const network = recordingFetch();
    const client = await createSyncClient({ serverURL: server.baseUrl, store, tables, session: { accessToken, refreshToken: 'unused' }, fetch: network.fetch, pushBackoff: { initialMs: 20, maxMs: 200 } });
    open.push({ client, store });
    return { client, store, network: network.record };
  };
  const first = await tab();
  await first.client.ready();
  const second = await tab();
  await second.client.ready(); // from the store the first filled
  const adjust = async (client: SyncClient, delta: number) => {
    const adjustmentID = randomUUID();
    await client.mutate('stock.adjust', { adjustmentID, warehouseID, productID, delta, reason: 'two tabs', occurredAt: new Date().toISOString() });
    return adjustmentID;
  };
  const made = [await adjust(second.client, 1), await adjust(first.client, 2), await adjust(second.client, 3)];
  await until(async () => [first.client.status.pending, second.client.status.pending], (pending) => pending.every((count) => count === 0), 'both tabs to see the queue drained', 10_000);
  expect(second.network).toEqual({ shapes: 0, pushed: [] });
  expect([...first.network.pushed].sort()).toEqual([1, 2, 3]);

  await first.client.stop();
  made.push(await adjust(second.client, 4), await adjust(second.client, 5));
  await until(async () => second.client.status.pending, (pending) => pending === 0, 'the second tab to push and see its mutations confirmed', 10_000);
  expect(second.network.shapes).toBeGreaterThan(0);
  expect([...second.network.pushed].sort()).toEqual([4, 5]);
  const { rows } = await db.query<{ id: string; quantity: number }>('select id, quantity from inventory.movements where id = any($1) order by quantity', [made]);
  expect(rows.map((row) => row.quantity)).toEqual([1, 2, 3, 4, 5]);
  const { rows: stock } = await db.query<{ on_hand: number }>('select on_hand from inventory.stock_items where product_id = $1', [productID]);
  expect(stock[0]?.on_hand).toBe(25);
  await until(async () => Number((await second.store.transaction((tx) => tx.list('inventory.stock_items', { product_id: productID })))[0]?.on_hand), (onHand) => onHand === 25, 'the local stock to settle');
});
