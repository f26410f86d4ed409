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

async function postPush(token: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.baseUrl}/api/v1/sync/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const adjustArgs = (extra: Record<string, unknown> = {}) => ({ adjustmentID: randomUUID(), warehouseID, productID, delta: 1, reason: 'recount', occurredAt: new Date().toISOString(), ...extra });

test('texts Postgres cannot store (NUL, a lone surrogate) in a name, args or an echoed message are recorded with U+FFFD, and the queue moves on', async () => {
  const token = await server.token('warehouse', { warehouse_id: warehouseID });
  const client = randomUUID();
  const mutation = (id: number, name: string, args: unknown) => ({ clientID: client, id, name, args, timestamp: id });
  const adjusted = (await db.query<{ n: number }>('select count(*)::int as n from inventory.movements')).rows[0]!.n;
  const response = await postPush(token, {
    pushVersion: 1,
    clientGroupID: randomUUID(),
    mutations: [
      mutation(1, 'stock.adjust\u0000', adjustArgs()),
      mutation(2, 'stock.\ud800adjust', adjustArgs()),
      mutation(3, 'stock.adjust', adjustArgs({ 'extra\u0000\udc00': 1 })),
      mutation(4, 'stock.adjust', adjustArgs({ reason: 'a box\u0000' })),
      mutation(5, 'stock.adjust', adjustArgs()),
    ],
  });
  expect(response).toEqual({ status: 200, body: { lastMutationIDs: { [client]: 5 } } });
  const { rows } = await db.query<{ mutation_id: number; name: string; code: string; details: unknown }>(
    'select mutation_id::int, name, code, details from sync.mutation_results where client_id = $1 order by mutation_id',
    [client],
  );
  expect(rows.map((row) => [row.mutation_id, row.name, row.code])).toEqual([
    [1, 'stock.adjust\ufffd', 'UNKNOWN_MUTATOR'],
    [2, 'stock.\ufffdadjust', 'UNKNOWN_MUTATOR'],
    [3, 'stock.adjust', 'INVALID_ARGS'],
    [4, 'stock.adjust', 'INVALID_ARGS'],
  ]);
  expect(JSON.stringify(rows[2]!.details)).toContain('extra\ufffd\ufffd');
  // Only the last one applied.
  expect((await db.query<{ n: number }>('select count(*)::int as n from inventory.movements')).rows[0]!.n).toBe(adjusted + 1);
});

test('client ids Postgres would refuse or change (NUL, a lone surrogate, a space) are a 400 naming the field, for push and pull', async () => {
  const token = await server.token('warehouse', { warehouse_id: warehouseID });
  const push = (clientGroupID: string, clientID: string) =>
    postPush(token, { pushVersion: 1, clientGroupID, mutations: [{ clientID, id: 1, name: 'stock.adjust', args: adjustArgs(), timestamp: 1 }] });
  for (const [group, client, field] of [
    ['a\u0000b', randomUUID(), 'clientGroupID'],
    [randomUUID(), 'z\ud800', 'clientID'],
    [randomUUID(), 'two words', 'clientID'],
  ] as const) {
    const response = await push(group, client);
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.message).toContain(field);
  }
  const pull = await fetch(`${server.baseUrl}/api/v1/sync/pull`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ pullVersion: 1, clientGroupID: 'a\u0000', cookie: null, schemaVersion: '1' }),
  });
  expect(pull.status).toBe(400);
});

test('an occurredAt with a leap second (23:59:60, which JavaScript cannot read and Postgres rolls over) is refused, not stored unclamped', async () => {
  const token = await server.token('warehouse', { warehouse_id: warehouseID });
  const client = randomUUID();
  const response = await postPush(token, {
    pushVersion: 1,
    clientGroupID: randomUUID(),
    mutations: [{ clientID: client, id: 1, name: 'stock.adjust', args: adjustArgs({ occurredAt: '9999-12-31T23:59:60Z' }), timestamp: 1 }],
  });
  expect(response.body).toEqual({ lastMutationIDs: { [client]: 1 } });
  const { rows } = await db.query<{ code: string; message: string }>('select code, message from sync.mutation_results where client_id = $1', [client]);
  expect(rows.map((row) => row.code)).toEqual(['INVALID_ARGS']);
  expect(rows[0]!.message).toContain('9999-12-31T23:59:60Z');
  expect((await db.query<{ n: number }>("select count(*)::int as n from inventory.movements where occurred_at > now() + interval '1 day'")).rows[0]!.n).toBe(0);
});

test("an admin's customer.upsert naming a territory that does not exist is refused as NOT_FOUND, and one that exists moves the customer", async () => {
  const token = await server.token('admin');
  const [customerID, territoryID, client] = [randomUUID(), randomUUID(), randomUUID()];
  await db.query(`insert into agents.territories (id, code, name) values ($1, 'T-9', 'Nine')`, [territoryID]);
  const upsert = (id: number, territory: string) => ({ clientID: client, id, name: 'customer.upsert', args: { customerID, name: 'Corner shop', territoryID: territory }, timestamp: id });
  const response = await postPush(token, { pushVersion: 1, clientGroupID: randomUUID(), mutations: [upsert(1, randomUUID()), upsert(2, territoryID)] });
  expect(response.body).toEqual({ lastMutationIDs: { [client]: 2 } });
  const { rows: results } = await db.query<{ mutation_id: number; code: string }>('select mutation_id::int, code from sync.mutation_results where client_id = $1', [client]);
  expect(results).toEqual([{ mutation_id: 1, code: 'NOT_FOUND' }]);
  const { rows } = await db.query<{ territory_id: string }>('select territory_id from customers.customers where id = $1', [customerID]);
  expect(rows).toEqual([{ territory_id: territoryID }]);
});

test('a shopper whose cart item reuses the id of an earlier order line still checks out', async () => {
  const customerID = randomUUID();
  await db.query(`insert into customers.customers (id, name) values ($1, 'Shopper')`, [customerID]);
  const token = await server.token('customer', { customer_id: customerID });
  const [client, lineID] = [randomUUID(), randomUUID()];
  const checkout = (id: number) => ({ clientID: client, id, name: 'cart.checkout', args: { orderID: randomUUID(), occurredAt: new Date().toISOString() }, timestamp: id });
  const add = (id: number) => ({ clientID: client, id, name: 'cart.add', args: { itemID: lineID, productID, qty: 1 }, timestamp: id });
  const response = await postPush(token, { pushVersion: 1, clientGroupID: randomUUID(), mutations: [add(1), checkout(2), add(3), checkout(4)] });
  expect(response.body).toEqual({ lastMutationIDs: { [client]: 4 } });
  expect((await db.query('select 1 from sync.mutation_results where client_id = $1', [client])).rows).toEqual([]);
  const { rows } = await db.query<{ orders: number; lines: number }>('select count(distinct order_id)::int as orders, count(*)::int as lines from orders.order_items where customer_id = $1', [customerID]);
  expect(rows).toEqual([{ orders: 2, lines: 2 }]);
});

test('a long push on PGlite (whose queries run synchronously) leaves the server answering other requests between its mutations', async () => {
  const token = await server.token('warehouse', { warehouse_id: warehouseID });
  const client = randomUUID();
  const mutations = Array.from({ length: 300 }, (_, index) => ({ clientID: client, id: index + 1, name: 'stock.adjust', args: adjustArgs(), timestamp: index }));
  const finished: string[] = [];
  const pushed = postPush(token, { pushVersion: 1, clientGroupID: randomUUID(), mutations }).then((response) => {
    finished.push('push');
    return response;
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  const health = await fetch(`${server.baseUrl}/healthz`);
  finished.push('healthz');
  expect(health.status).toBe(200);
  expect((await pushed).body).toEqual({ lastMutationIDs: { [client]: 300 } });
  expect(finished).toEqual(['healthz', 'push']);
});
