import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { buildTestApp, type TestApp } from '../shared/test-app.ts';
import { ordersPlugin } from './plugin.ts';
import { insertCustomer, insertOrder, insertWarehouse } from './test-fixtures.ts';

let database: TestDatabase;
let t: TestApp;
let admin: { authorization: string };
const base = '/api/v1/orders/pick-lists';

beforeAll(async () => {
  database = await createTestDatabase();
  t = await buildTestApp(ordersPlugin, '/api/v1/orders', { db: database.db });
  admin = await t.as('admin');
});
afterAll(async () => {
  await t.app.close();
  await database.drop();
});

type Page<T> = { items: T[]; nextCursor: string | null };

/** A pick list for a fresh order, its lines in the given bins (code, sort order), inserted out of walking order. */
async function insertPickList(warehouseID: string, bins: [string, number][]): Promise<{ id: string; orderID: string }> {
  const orderID = await insertOrder(database.db, { customerID: await insertCustomer(database.db), warehouseID });
  const { rows } = await database.db.query<{ id: string }>('select id from orders.order_items where order_id = $1', [orderID]);
  const id = randomUUID();
  await database.db.query('insert into orders.pick_lists (id, order_id, warehouse_id) values ($1, $2, $3)', [id, orderID, warehouseID]);
  for (const [code, sortOrder] of bins) {
    await database.db.query(
      `insert into orders.pick_lines (pick_list_id, order_item_id, warehouse_id, product_id, bin_code, bin_sort_order, qty)
       values ($1, $2, $3, $4, $5, $6, 1)`,
      [id, rows[0]!.id, warehouseID, randomUUID(), code, sortOrder],
    );
  }
  return { id, orderID };
}

test('a pick list comes with its lines in walking order', async () => {
  const warehouse = await insertWarehouse(database.db);
  const list = await insertPickList(warehouse, [['C-3', 30], ['A-1', 10], ['B-2', 20]]);
  const response = await t.app.inject({ url: `${base}/${list.id}`, headers: admin });
  expect(response.statusCode).toBe(200);
  const body = response.json<{ orderId: string; status: string; lines: { binCode: string; binSortOrder: number }[] }>();
  expect(body).toMatchObject({ orderId: list.orderID, warehouseId: warehouse, status: 'open' });
  expect(body.lines.map((line) => line.binCode)).toEqual(['A-1', 'B-2', 'C-3']);
});

test('pickers see only their own warehouse\'s pick lists; admins see all', async () => {
  const mine = await insertWarehouse(database.db);
  const theirs = await insertWarehouse(database.db);
  const own = await insertPickList(mine, [['A-1', 1]]);
  const other = await insertPickList(theirs, [['A-1', 1]]);
  const picker = await t.as('warehouse', { warehouse_id: mine });

  const listed = await t.app.inject({ url: base, headers: picker });
  expect(listed.json<Page<{ id: string }>>().items.map((item) => item.id)).toEqual([own.id]);
  expect((await t.app.inject({ url: `${base}/${other.id}`, headers: picker })).statusCode).toBe(404);
  const byOrder = await t.app.inject({ url: `${base}?orderId=${other.orderID}`, headers: admin });
  expect(byOrder.json<Page<{ id: string }>>().items.map((item) => item.id)).toEqual([other.id]);
});

test('agents, shoppers and pickers without a warehouse may not read pick lists', async () => {
  for (const headers of [await t.as('agent', { agent_id: randomUUID() }), await t.as('customer', { customer_id: randomUUID() }), await t.as('warehouse')]) {
    const response = await t.app.inject({ url: base, headers });
    expect(response.statusCode).toBe(403);
  }
});

test('pick lists are read-only here, and bad filters are 400s', async () => {
  const list = await insertPickList(await insertWarehouse(database.db), [['A-1', 1]]);
  expect((await t.app.inject({ method: 'PATCH', url: `${base}/${list.id}`, headers: admin, payload: { status: 'completed' } })).statusCode).toBe(404);
  expect((await t.app.inject({ method: 'POST', url: base, headers: admin, payload: {} })).statusCode).toBe(404);
  expect((await t.app.inject({ url: `${base}?status=done`, headers: admin })).statusCode).toBe(400);
});
