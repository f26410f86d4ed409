import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { buildTestApp, type TestApp } from '../shared/test-app.ts';
import { ordersPlugin } from './plugin.ts';
import { insertCustomer, insertOrder, insertWarehouse } from './test-fixtures.ts';

let database: TestDatabase;
let t: TestApp;
let admin: { authorization: string };
const base = '/api/v1/orders';

beforeAll(async () => {
  database = await createTestDatabase();
  t = await buildTestApp(ordersPlugin, base, { db: database.db });
  admin = await t.as('admin');
});
afterAll(async () => {
  await t.app.close();
  await database.drop();
});

type Headers = { authorization: string };
const patch = (id: string, headers: Headers, payload: object) => t.app.inject({ method: 'PATCH', url: `${base}/${id}`, headers, payload });

async function row(id: string) {
  const { rows } = await database.db.query<{ status: string; version: number; note: string; status_reason: string; cancelled_at: Date | null; warehouse_id: string | null }>(
    'select status, version, note, status_reason, cancelled_at, warehouse_id from orders.orders where id = $1',
    [id],
  );
  return rows[0]!;
}

describe('admins moving orders', () => {
  test('an admin walks an order from placed to delivered, bumping the version at each step', async () => {
    const order = await insertOrder(database.db, { customerID: await insertCustomer(database.db) });
    let version = 1;
    for (const status of ['confirmed', 'picking', 'shipped', 'delivered']) {
      const response = await patch(order, admin, { status });
      expect(response.statusCode, response.body).toBe(200);
      version += 1;
      expect(response.json()).toMatchObject({ status, version, statusReason: '', cancelledAt: null, items: [{ qty: 1 }] });
    }
    expect(await row(order)).toMatchObject({ status: 'delivered', version: 5 });
  });

  test('a move the transition table does not allow is a 409 and changes nothing', async () => {
    const customer = await insertCustomer(database.db);
    const placed = await insertOrder(database.db, { customerID: customer });
    const skip = await patch(placed, admin, { status: 'shipped' });
    expect(skip.statusCode).toBe(409);
    expect(skip.json()).toMatchObject({ code: 'INVALID_STATE', details: { status: 'placed', to: 'shipped' } });
    const delivered = await insertOrder(database.db, { customerID: customer, status: 'delivered' });
    expect((await patch(delivered, admin, { status: 'cancelled' })).statusCode).toBe(409);
    expect((await patch(placed, admin, { status: 'placed' })).statusCode).toBe(409);
    expect(await row(placed)).toMatchObject({ status: 'placed', version: 1 });
    expect(await row(delivered)).toMatchObject({ status: 'delivered', version: 1, cancelled_at: null });
  });

  test('a rejection records its reason; a cancellation also records when', async () => {
    const customer = await insertCustomer(database.db);
    const rejected = await patch(await insertOrder(database.db, { customerID: customer }), admin, { status: 'rejected', statusReason: 'credit hold' });
    expect(rejected.json()).toMatchObject({ status: 'rejected', statusReason: 'credit hold', cancelledAt: null });
    const cancelled = await patch(await insertOrder(database.db, { customerID: customer, status: 'backordered' }), admin, { status: 'cancelled', statusReason: 'no supply' });
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', statusReason: 'no supply' });
    expect(Date.now() - Date.parse(cancelled.json<{ cancelledAt: string }>().cancelledAt)).toBeLessThan(60_000);
  });

  test('changing the fulfilment warehouse moves the items with it, until picking starts', async () => {
    const customer = await insertCustomer(database.db);
    const order = await insertOrder(database.db, { customerID: customer, warehouseID: await insertWarehouse(database.db) });
    const next = await insertWarehouse(database.db);
    const moved = await patch(order, admin, { warehouseId: next, note: 'moved to the north DC' });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ warehouseId: next, note: 'moved to the north DC', version: 2, items: [{ warehouseId: next }] });
    const { rows } = await database.db.query('select warehouse_id from orders.order_items where order_id = $1', [order]);
    expect(rows).toEqual([{ warehouse_id: next }]);

    const picking = await insertOrder(database.db, { customerID: customer, status: 'picking' });
    expect((await patch(picking, admin, { warehouseId: next })).statusCode).toBe(409);
  });
});

describe('agents and shoppers changing their own orders', () => {
  test('an agent edits the note while the order is placed, then not after it is confirmed', async () => {
    const agentID = randomUUID();
    const agent = await t.as('agent', { agent_id: agentID, territory_id: randomUUID() });
    const order = await insertOrder(database.db, { customerID: await insertCustomer(database.db), agentID });
    const noted = await patch(order, agent, { note: 'ring twice' });
    expect(noted.statusCode).toBe(200);
    expect(noted.json()).toMatchObject({ note: 'ring twice', version: 2 });
    await patch(order, admin, { status: 'confirmed' });
    const late = await patch(order, agent, { note: 'ring thrice' });
    expect(late.statusCode).toBe(409);
    expect(late.json()).toMatchObject({ code: 'INVALID_STATE' });
    expect(await row(order)).toMatchObject({ note: 'ring twice', status: 'confirmed', version: 3 });
  });

  test('an agent cancels their own confirmed order with a reason, and cannot cancel it twice', async () => {
    const agentID = randomUUID();
    const agent = await t.as('agent', { agent_id: agentID, territory_id: randomUUID() });
    const order = await insertOrder(database.db, { customerID: await insertCustomer(database.db), agentID, status: 'confirmed' });
    const cancelled = await patch(order, agent, { status: 'cancelled', statusReason: 'customer changed their mind' });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', statusReason: 'customer changed their mind', version: 2 });
    expect((await row(order)).cancelled_at).toBeInstanceOf(Date);
    expect((await patch(order, agent, { status: 'cancelled' })).statusCode).toBe(409);
  });

  test('a shopper cancels their own order but not once picking has started, nor anyone else\'s', async () => {
    const customer = await insertCustomer(database.db);
    const shopper = await t.as('customer', { customer_id: customer });
    const placed = await insertOrder(database.db, { customerID: customer });
    expect((await patch(placed, shopper, { status: 'cancelled' })).json()).toMatchObject({ status: 'cancelled' });

    const picking = await insertOrder(database.db, { customerID: customer, status: 'picking' });
    expect((await patch(picking, shopper, { status: 'cancelled' })).statusCode).toBe(409);
    const someoneElses = await insertOrder(database.db, { customerID: await insertCustomer(database.db) });
    expect((await patch(someoneElses, shopper, { status: 'cancelled' })).statusCode).toBe(404);
    expect(await row(picking)).toMatchObject({ status: 'picking', version: 1 });
    expect(await row(someoneElses)).toMatchObject({ status: 'placed', version: 1 });
  });

  test('agents and shoppers may not confirm orders or move them between warehouses; pickers may not PATCH', async () => {
    const customer = await insertCustomer(database.db);
    const agentID = randomUUID();
    const order = await insertOrder(database.db, { customerID: customer, agentID });
    const agent = await t.as('agent', { agent_id: agentID, territory_id: randomUUID() });
    const shopper = await t.as('customer', { customer_id: customer });
    for (const headers of [agent, shopper]) {
      for (const payload of [{ status: 'confirmed' }, { warehouseId: await insertWarehouse(database.db) }]) {
        const response = await patch(order, headers, payload);
        expect(response.statusCode).toBe(403);
        expect(response.json()).toMatchObject({ code: 'FORBIDDEN' });
      }
    }
    expect((await patch(order, await t.as('warehouse', { warehouse_id: randomUUID() }), { note: 'x' })).statusCode).toBe(403);
    const otherAgent = await t.as('agent', { agent_id: randomUUID(), territory_id: randomUUID() });
    expect((await patch(order, otherAgent, { note: 'x' })).statusCode).toBe(404);
    expect(await row(order)).toMatchObject({ status: 'placed', version: 1, note: '' });
  });
});

describe('PATCH validation', () => {
  test('empty, unknown or inconsistent changes are 400s', async () => {
    const order = await insertOrder(database.db, { customerID: await insertCustomer(database.db) });
    for (const payload of [{}, { status: 'lost' }, { total: 0 }, { statusReason: 'why' }, { warehouseId: 'north' }]) {
      const response = await patch(order, admin, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(await row(order)).toMatchObject({ version: 1 });
    expect((await patch(randomUUID(), admin, { note: 'x' })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'PATCH', url: `${base}/${order}`, payload: { note: 'x' } })).statusCode).toBe(401);
  });
});
