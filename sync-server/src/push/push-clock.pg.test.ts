/**
 * Device clocks through the push endpoint and Postgres: a device whose clock ran ahead while it
 * worked offline (and was set right before it pushed) has its times clamped to the server's now,
 * and its mutations still keep the order they were made in.
 */
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { startShapeServer, type ShapeServer } from '../test-support/shape-server.ts';

let database: TestDatabase;
let server: ShapeServer;
const productID = randomUUID();

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.query(`insert into catalog.products (id, sku, name, price_minor) values ($1, 'CLK-1', 'Tea', 100)`, [productID]);
  server = await startShapeServer(database.db);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

async function push(token: string, clientID: string, mutations: { name: string; args: object }[], deviceTime: string) {
  const response = await fetch(`${server.baseUrl}/api/v1/sync/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'niaga-device-time': deviceTime },
    body: JSON.stringify({ pushVersion: 1, clientGroupID: randomUUID(), mutations: mutations.map((mutation, index) => ({ ...mutation, clientID, id: index + 1, timestamp: index })) }),
  });
  return { status: response.status, body: (await response.json()) as object };
}

test('a count and then an adjustment, both dated in the future by a clock that was ahead, keep their order when clamped in the same millisecond', async () => {
  const warehouseID = randomUUID();
  await database.db.query(`insert into inventory.warehouses (id, code, name) values ($1, 'WH-CLK', 'Clock')`, [warehouseID]);
  await database.db.query('insert into inventory.stock_items (warehouse_id, product_id, on_hand) values ($1, $2, 10)', [warehouseID, productID]);
  const picker = await server.token('warehouse', { warehouse_id: warehouseID });
  const clientID = randomUUID();
  const ahead = (minutes: number) => new Date(Date.now() + 2 * 3_600_000 + minutes * 60_000).toISOString();
  const mutations = [
    { name: 'stock.count', args: { countID: randomUUID(), warehouseID, productID, countedQty: 8, occurredAt: ahead(0) } },
    { name: 'stock.adjust', args: { adjustmentID: randomUUID(), warehouseID, productID, delta: -2, reason: 'damaged after the count', occurredAt: ahead(1) } },
  ];
  // The server's clock stands still for the push: both mutations are clamped in the same millisecond
  // (on a fast server they often are anyway).
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
  try {
    expect(await push(picker, clientID, mutations, new Date().toISOString())).toEqual({ status: 200, body: { lastMutationIDs: { [clientID]: 2 } } });
  } finally {
    vi.useRealTimers();
  }
  const { rows: ledger } = await database.db.query<{ kind: string; quantity: number; affects_on_hand: boolean; later: boolean }>(
    `select kind, quantity, affects_on_hand, occurred_at > (select occurred_at from inventory.count_lines where warehouse_id = $1) as later
       from inventory.movements where warehouse_id = $1 and kind <> 'count'`,
    [warehouseID],
  );
  expect(ledger).toEqual([{ kind: 'adjustment', quantity: -2, affects_on_hand: true, later: true }]);
  const { rows } = await database.db.query<{ on_hand: number }>('select on_hand from inventory.stock_items where warehouse_id = $1', [warehouseID]);
  expect(rows).toEqual([{ on_hand: 6 }]); // the count (8), then the damage (-2)
});

test('a device clock two months behind is corrected in full on the push that measured it: its count is dated when it was taken, not weeks earlier', async () => {
  const warehouseID = randomUUID();
  await database.db.query(`insert into inventory.warehouses (id, code, name) values ($1, 'WH-OFF', 'Off')`, [warehouseID]);
  await database.db.query('insert into inventory.stock_items (warehouse_id, product_id, on_hand) values ($1, $2, 10)', [warehouseID, productID]);
  const picker = await server.token('warehouse', { warehouse_id: warehouseID });
  // Delivered ten days ago (+5): the count below, taken a minute ago, already saw it.
  const adjust = { name: 'stock.adjust', args: { adjustmentID: randomUUID(), warehouseID, productID, delta: 5, reason: 'delivery', occurredAt: new Date(Date.now() - 10 * 86_400_000).toISOString() } };
  expect((await push(picker, randomUUID(), [adjust], new Date().toISOString())).status).toBe(200);

  const behindMs = 60 * 86_400_000; // beyond what sync.clients.clock_offset_ms (int4, ±24 days) holds
  const deviceNow = Date.now() - behindMs;
  const clientID = randomUUID();
  const count = { name: 'stock.count', args: { countID: randomUUID(), warehouseID, productID, countedQty: 8, occurredAt: new Date(deviceNow - 60_000).toISOString() } };
  expect(await push(picker, clientID, [count], new Date(deviceNow).toISOString())).toEqual({ status: 200, body: { lastMutationIDs: { [clientID]: 1 } } });
  const { rows } = await database.db.query<{ minutes_ago: number; on_hand: number; offset: number }>(
    `select round(extract(epoch from now() - c.occurred_at) / 60)::int as minutes_ago, s.on_hand, k.clock_offset_ms as offset
       from inventory.count_lines c join inventory.stock_items s on s.warehouse_id = c.warehouse_id and s.product_id = c.product_id
       join sync.clients k on k.id = $2
      where c.warehouse_id = $1`,
    [warehouseID, clientID],
  );
  // The stored offset stays clamped to the column (a later push without the header uses it).
  expect(rows).toEqual([{ minutes_ago: 1, on_hand: 8, offset: 2_000_000_000 }]);
});

test('a device time and an occurredAt at opposite ends of what a Date holds are refused as implausible, not failed as a server error', async () => {
  const warehouseID = randomUUID();
  await database.db.query(`insert into inventory.warehouses (id, code, name) values ($1, 'WH-END', 'Ends')`, [warehouseID]);
  const picker = await server.token('warehouse', { warehouse_id: warehouseID });
  const clientID = randomUUID();
  const count = { name: 'stock.count', args: { countID: randomUUID(), warehouseID, productID, countedQty: 1, occurredAt: '-271821-04-20T00:00:00.000Z' } };
  expect(await push(picker, clientID, [count], '+275760-09-13T00:00:00.000Z')).toEqual({ status: 200, body: { lastMutationIDs: { [clientID]: 1 } } });
  const { rows } = await database.db.query<{ code: string }>('select code from sync.mutation_results where client_id = $1', [clientID]);
  expect(rows).toEqual([{ code: 'INVALID_ARGS' }]);
});
