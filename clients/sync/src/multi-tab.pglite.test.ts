/**
 * Two clients over one store in one process (tabs, or two parts of an app), with the leadership
 * they get by default, against the embedded server (PGlite + capture triggers).
 */
import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { openDexieStore } from './dexie/index.ts';
import type { LocalStore } from './local-store.ts';
import { emptyDatabase, openPgliteStore } from './pglite/index.ts';
import { pickerTables, useEmbeddedBackend } from './test-support/embedded-backend.ts';
import { fakeIDB, until } from './test-support/test-helpers.ts';
import { createSyncClient, type SyncClient } from './sync-client.ts';

const backend = useEmbeddedBackend({ stock: true });
const { warehouseID, productID, picker, open } = backend;
const tables = pickerTables;

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

/** Per adapter: a store over the database both tabs share (the PGlite tabs share one PGlite, as PGliteWorkers in a browser share the leader's). */
const sharedDatabases: Record<string, () => Promise<() => Promise<LocalStore>>> = {
  'IndexedDB database': async () => {
    const shared = { name: `tabs-${randomUUID()}`, indexedDB: new fakeIDB.IDBFactory(), IDBKeyRange: fakeIDB.IDBKeyRange };
    return () => openDexieStore(shared);
  },
  'PGlite database': async () => {
    const db = new PGlite({ loadDataDir: await emptyDatabase() });
    return () => openPgliteStore({ db });
  },
};

test.each(Object.keys(sharedDatabases))('two clients over one %s in one process, with the default leadership: one streams and pushes, the other follows, and takes over when the first stops, losing and repeating nothing', async (database) => {
  const openShared = await sharedDatabases[database]!();
  const onHand = async () => (await backend.db.query<{ on_hand: number }>('select on_hand from inventory.stock_items where product_id = $1', [productID])).rows[0]?.on_hand;
  const before = Number(await onHand());
  const accessToken = await backend.server.token('warehouse', picker);
  const tab = async () => {
    const store = await openShared();
    const network = recordingFetch();
    const client = await createSyncClient({ serverURL: backend.server.baseUrl, store, tables, session: { accessToken, refreshToken: 'unused' }, fetch: network.fetch, pushBackoff: { initialMs: 20, maxMs: 200 } });
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
  const { rows } = await backend.db.query<{ id: string; quantity: number }>('select id, quantity from inventory.movements where id = any($1) order by quantity', [made]);
  expect(rows.map((row) => row.quantity)).toEqual([1, 2, 3, 4, 5]);
  expect(await onHand()).toBe(before + 15);
  await until(async () => Number((await second.store.transaction((tx) => tx.list('inventory.stock_items', { product_id: productID })))[0]?.on_hand), (local) => local === before + 15, 'the local stock to settle');
});
