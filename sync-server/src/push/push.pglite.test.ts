/** Embedded mode: the same push endpoint over PGlite (savepoints, row locks and the outbox included). */
import { randomUUID } from 'node:crypto';
import { createPgliteExecutor, type PgliteExecutor } from '@niaga/db/pglite';
import { migrate } from '@niaga/migrations';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startShapeServer, type ShapeServer } from '../test-support/shape-server.ts';

let db: PgliteExecutor;
let server: ShapeServer;
const warehouseID = randomUUID();
const productID = randomUUID();

beforeAll(async () => {
  db = await createPgliteExecutor();
  await migrate(db);
  await db.query(`insert into inventory.warehouses (id, code, name) values ($1, 'WH-1', 'Main')`, [warehouseID]);
  await db.query(`insert into catalog.products (id, sku, name, price_minor) values ($1, 'TEA-1', 'Tea', 250)`, [productID]);
  server = await startShapeServer(db);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await db?.close();
});

test('a picker adjusts stock twice (the push resent) and a refused adjustment is recorded, all once', async () => {
  const token = await server.token('warehouse', { warehouse_id: warehouseID });
  const client = randomUUID();
  const adjust = (id: number, warehouse: string, delta: number) => ({
    clientID: client,
    id,
    name: 'stock.adjust',
    args: { adjustmentID: randomUUID(), warehouseID: warehouse, productID, delta, reason: 'found a box', occurredAt: new Date().toISOString() },
    timestamp: id,
  });
  const mutations = [adjust(1, warehouseID, 12), adjust(2, randomUUID(), 5), adjust(3, warehouseID, -2)];
  for (let attempt = 0; attempt < 2; attempt++) {
    const response = await fetch(`${server.baseUrl}/api/v1/sync/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ pushVersion: 1, clientGroupID: 'tablet', mutations }),
    });
    expect(await response.json()).toEqual({ lastMutationIDs: { [client]: 3 } });
  }
  const { rows: stock } = await db.query<{ on_hand: number; available: number }>('select on_hand, available from inventory.stock_items where product_id = $1', [productID]);
  expect(stock).toEqual([{ on_hand: 10, available: 10 }]);
  const { rows: movements } = await db.query<{ quantity: number; mutation_id: number }>('select quantity, mutation_id::int from inventory.movements order by mutation_id');
  expect(movements).toEqual([{ quantity: 12, mutation_id: 1 }, { quantity: -2, mutation_id: 3 }]);
  const { rows: results } = await db.query<{ mutation_id: number; code: string }>('select mutation_id::int, code from sync.mutation_results');
  expect(results).toEqual([{ mutation_id: 2, code: 'FORBIDDEN' }]);
  const { rows: events } = await db.query<{ type: string; mutation_id: number }>('select type, mutation_id::int from events.outbox order by mutation_id');
  expect(events).toEqual([{ type: 'inventory.updated', mutation_id: 1 }, { type: 'inventory.updated', mutation_id: 3 }]);
});
