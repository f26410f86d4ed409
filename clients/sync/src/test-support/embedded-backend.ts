/**
 * What most of the client library's end-to-end tests start from: the embedded server (PGlite with
 * capture triggers) holding one warehouse and one product (and, if asked, its stock row), a
 * picker of that warehouse, and the devices a test opens, stopped and closed after each test.
 * Call it at the top of a test file: it registers the hooks.
 */
import { randomUUID } from 'node:crypto';
import type { PgliteExecutor } from '@niaga/db/pglite';
import { capturedPglite, startShapeServer, type ShapeServer } from '@niaga/sync-server/test-support';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { LocalStore } from '../local-store.ts';
import type { SyncClient } from '../sync-client.ts';

export const pickerTables = ['inventory.warehouses', 'inventory.stock_items', 'inventory.movements', 'catalog.products'];

export interface EmbeddedBackend {
  readonly warehouseID: string;
  readonly productID: string;
  /** A picker of the warehouse: the claims of the tokens the tests' devices use. */
  readonly picker: { readonly warehouse_id: string; readonly sub: string };
  /** Devices to stop and close after the test. */
  readonly open: { client: SyncClient; store: LocalStore }[];
  /** Set once the file's tests start. */
  db: PgliteExecutor;
  server: ShapeServer;
}

/** A migrated server database holding the warehouse and the product (and its stock row, 10 on hand, with `stock`). */
export async function seededServerDatabase(backend: Pick<EmbeddedBackend, 'warehouseID' | 'productID'>, options: { stock?: boolean } = {}): Promise<PgliteExecutor> {
  const db = await capturedPglite();
  await db.query(`insert into inventory.warehouses (id, code, name) values ($1, 'WH-1', 'Main')`, [backend.warehouseID]);
  await db.query(`insert into catalog.products (id, sku, name, price_minor) values ($1, 'TEA-1', 'Tea', 250)`, [backend.productID]);
  if (options.stock) await db.query(`insert into inventory.stock_items (warehouse_id, product_id, on_hand, available) values ($1, $2, 10, 10)`, [backend.warehouseID, backend.productID]);
  return db;
}

export function useEmbeddedBackend(options: { stock?: boolean } = {}): EmbeddedBackend {
  const warehouseID = randomUUID();
  const backend = { warehouseID, productID: randomUUID(), picker: { warehouse_id: warehouseID, sub: randomUUID() }, open: [] } as unknown as EmbeddedBackend;
  beforeAll(async () => {
    backend.db = await seededServerDatabase(backend, options);
    backend.server = await startShapeServer(backend.db);
  }, 60_000);
  afterEach(async () => {
    for (const { client, store } of backend.open.splice(0)) {
      await client.stop();
      // A test may have closed it already, or broken it on purpose.
      await store.close().catch(() => undefined);
    }
  });
  afterAll(async () => {
    await backend.server?.close();
    await backend.db?.close();
  });
  return backend;
}
