/**
 * The order saga end to end over Postgres and NATS JetStream: orders pushed by devices compete
 * for stock; each ends confirmed or backordered, never more is held than was available, and a
 * cancelled order gives its stock back.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { startShapeServer, type ShapeServer } from './test-support/shape-server.ts';
import { waitFor } from './test-support/shape-test-kit.ts';

let database: TestDatabase;
let server: ShapeServer;
const warehouseID = randomUUID();
const products = [randomUUID(), randomUUID()];

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.query(`insert into inventory.warehouses (id, code, name) values ($1, 'WH-S', 'Saga')`, [warehouseID]);
  for (const [index, id] of products.entries()) {
    await database.db.query(`insert into catalog.products (id, sku, name, price_minor) values ($1, $2, 'P', 100)`, [id, `SAGA-${index}`]);
  }
  await database.db.query(`insert into customers.customers (id, name) values ('00000000-0000-4000-8000-0000000000c1', 'Shop')`);
  const suffix = randomBytes(4).toString('hex');
  server = await startShapeServer(database.db, { NATS_URL: inject('natsUrl'), NATS_STREAM: `SAGA_${suffix}`, NATS_SUBJECT_PREFIX: `saga_${suffix}` });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

interface PlannedOrder {
  device: number;
  lines: { product: number; qty: number }[];
  cancel: boolean;
}

const orderArb: fc.Arbitrary<PlannedOrder> = fc.record({
  device: fc.nat(2),
  lines: fc.uniqueArray(fc.record({ product: fc.nat(1), qty: fc.integer({ min: 1, max: 6 }) }), { minLength: 1, maxLength: 2, selector: (line) => line.product }),
  cancel: fc.boolean(),
});

test('competing orders end confirmed or backordered, never holding more than was available; cancellations release', async () => {
  const tokens = await Promise.all([0, 1, 2].map(() => server.token('admin')));
  await fc.assert(
    fc.asyncProperty(fc.array(orderArb, { minLength: 1, maxLength: 6 }), fc.tuple(fc.nat(12), fc.nat(12)), async (planned, stock) => {
      await database.db.query('delete from inventory.reservations');
      await database.db.query('delete from inventory.stock_items');
      for (const [index, product] of products.entries()) {
        await database.db.query('insert into inventory.stock_items (warehouse_id, product_id, on_hand) values ($1, $2, $3)', [warehouseID, product, stock[index]]);
      }
      // Each device pushes its own orders (and cancellations) as one client; devices push concurrently.
      const orders = planned.map((order) => ({ ...order, orderID: randomUUID(), lineIDs: order.lines.map(() => randomUUID()) }));
      await Promise.all(
        [0, 1, 2].map(async (device) => {
          const mine = orders.filter((order) => order.device === device);
          if (mine.length === 0) return;
          const clientID = randomUUID();
          const mutations = mine.flatMap((order) => [
            {
              name: 'order.place',
              args: {
                orderID: order.orderID,
                customerID: '00000000-0000-4000-8000-0000000000c1',
                warehouseID,
                lines: order.lines.map((line, index) => ({ lineID: order.lineIDs[index], productID: products[line.product], qty: line.qty, unitPrice: 100 })),
                occurredAt: new Date().toISOString(),
              },
            },
            ...(order.cancel ? [{ name: 'order.cancel', args: { orderID: order.orderID, reason: 'changed mind' } }] : []),
          ]);
          const response = await fetch(`${server.baseUrl}/api/v1/sync/push`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[device]!}` },
            body: JSON.stringify({ pushVersion: 1, clientGroupID: randomUUID(), mutations: mutations.map((mutation, index) => ({ ...mutation, clientID, id: index + 1, timestamp: 0 })) }),
          });
          expect(response.status).toBe(200);
        }),
      );

      const ids = orders.map((order) => order.orderID);
      // Settled: every line was looked at by inventory, every live order confirmed or backordered,
      // and every cancelled order's stock released.
      const lineCount = orders.reduce((sum, order) => sum + order.lines.length, 0);
      await waitFor(async () => {
        const { rows } = await database.db.query<{ pending: number; reserved: number; held: number }>(
          `select (select count(*) from orders.orders where id = any($1::uuid[]) and status in ('placed', 'adjusted'))::int as pending,
                  (select count(*) from inventory.reservations where order_id = any($1::uuid[]))::int as reserved,
                  (select count(*) from inventory.reservations where order_id = any($2::uuid[]) and status = 'active')::int as held`,
          [ids, orders.filter((order) => order.cancel).map((order) => order.orderID)],
        );
        return rows[0]!.pending === 0 && rows[0]!.reserved === lineCount && rows[0]!.held === 0;
      }, 'the saga to settle');
      const { rows: statuses } = await database.db.query<{ id: string; status: string }>('select id::text, status from orders.orders where id = any($1::uuid[])', [ids]);
      for (const order of orders) {
        const status = statuses.find((row) => row.id === order.orderID)?.status;
        expect(order.cancel ? ['cancelled'] : ['confirmed', 'backordered']).toContain(status);
      }
      const { rows: items } = await database.db.query<{ order_id: string; qty: number; allocated_qty: number }>(
        'select order_id::text, qty, allocated_qty from orders.order_items where order_id = any($1::uuid[])',
        [ids],
      );
      for (const item of items) expect(item.allocated_qty).toBeLessThanOrEqual(item.qty);
      for (const order of orders.filter((order) => !order.cancel)) {
        const mine = items.filter((item) => item.order_id === order.orderID);
        const full = mine.every((item) => item.allocated_qty === item.qty);
        expect(statuses.find((row) => row.id === order.orderID)?.status).toBe(full ? 'confirmed' : 'backordered');
      }
      const { rows: stockRows } = await database.db.query<{ product_id: string; on_hand: number; reserved: number; available: number }>(
        'select product_id::text, on_hand, reserved, available from inventory.stock_items where warehouse_id = $1',
        [warehouseID],
      );
      for (const row of stockRows) {
        expect(row.reserved).toBeLessThanOrEqual(row.on_hand);
        expect(row.available).toBeGreaterThanOrEqual(0);
        const { rows: held } = await database.db.query<{ qty: number }>(
          `select coalesce(sum(qty), 0)::int as qty from inventory.reservations where product_id = $1 and status = 'active'`,
          [row.product_id],
        );
        expect(row.reserved).toBe(held[0]!.qty);
      }
      // Exactly one saga outcome per order that was not cancelled first.
      const { rows: outcomes } = await database.db.query<{ count: number }>(
        `select count(*)::int as count from events.outbox where type in ('order.confirmed', 'order.backordered') and payload->>'orderID' = any($1::text[])`,
        [orders.filter((order) => !order.cancel).map((order) => order.orderID)],
      );
      expect(outcomes[0]!.count).toBe(orders.filter((order) => !order.cancel).length);
    }),
    { numRuns: 8 },
  );
}, 120_000);
