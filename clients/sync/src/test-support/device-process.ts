/**
 * A device as its own process, for tests that kill it (SIGKILL) at random moments. Configured by
 * environment; prints one line per event on stdout:
 *   NIAGA_MODE=sync      initial sync, then `ready`
 *   NIAGA_MODE=mutate    stock.adjust mutations until NIAGA_TOTAL were made (numbered from the
 *                        store's own count, so a restart continues), `ok <id>` after each returns
 *   NIAGA_MODE=converge  waits until nothing is pending, then `converged <on_hand>`
 */
import { openPgliteStore } from '../pglite/index.ts';
import { createSyncClient } from '../sync-client.ts';
import { adjustmentID, deltaOf } from './device-plan.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const mode = env('NIAGA_MODE');
const warehouseID = env('NIAGA_WAREHOUSE_ID');
const productID = env('NIAGA_PRODUCT_ID');
const store = await openPgliteStore({ dataDir: env('NIAGA_DATA_DIR') });
const client = await createSyncClient({
  serverURL: env('NIAGA_SERVER_URL'),
  store,
  tables: ['inventory.warehouses', 'inventory.stock_items', 'inventory.movements', 'catalog.products'],
  ...(process.env.NIAGA_ACCESS_TOKEN ? { session: { accessToken: process.env.NIAGA_ACCESS_TOKEN, refreshToken: 'none' } } : {}),
  pushBackoff: { initialMs: 20, maxMs: 300 },
});


if (mode === 'sync') {
  await client.ready();
  console.log('ready');
} else if (mode === 'mutate') {
  const total = Number(env('NIAGA_TOTAL'));
  for (;;) {
    const made = await store.transaction((tx) => tx.getMeta<number>('sync:lastMutationID'));
    const n = (made ?? 0) + 1;
    if (n > total) break;
    const receipt = await client.mutate('stock.adjust', { adjustmentID: adjustmentID(n), warehouseID, productID, delta: deltaOf(n), reason: `count ${n}`, occurredAt: new Date().toISOString() });
    console.log(`ok ${receipt.id}`);
  }
  console.log('done');
} else if (mode === 'converge') {
  await new Promise<void>((resolve) => {
    const check = () => client.status.pending === 0 && resolve();
    client.onStatus(check);
    check();
  });
  const rows = await store.transaction((tx) => tx.list('inventory.stock_items', { product_id: productID }));
  console.log(`converged ${JSON.stringify(rows[0]?.on_hand ?? null)}`);
}
await client.stop();
await store.close();
process.exit(0);
