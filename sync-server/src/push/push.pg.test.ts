/**
 * The push endpoint against real Postgres: exactly once however a push is repeated, cut off or
 * raced; rejections recorded without blocking the queue; bad input refused without half-writes.
 */
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startShapeServer, type ShapeServer } from '../test-support/shape-server.ts';

let database: TestDatabase;
let server: ShapeServer;
const territory = randomUUID();
const agentID = randomUUID();
const customerID = randomUUID();
const productID = randomUUID();
let agentToken: string;

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.query(`insert into customers.customers (id, name, territory_id) values ($1, 'Corner shop', $2)`, [customerID, territory]);
  await database.db.query(`insert into catalog.products (id, sku, name, price_minor) values ($1, 'TEA-1', 'Tea', 250)`, [productID]);
  server = await startShapeServer(database.db);
  agentToken = await server.token('agent', { agent_id: agentID, territory_id: territory });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

interface Mutation {
  clientID: string;
  id: number;
  name: string;
  args: unknown;
  timestamp: number;
}

function placeOrder(clientID: string, id: number, orderID = randomUUID()): Mutation {
  return {
    clientID,
    id,
    name: 'order.place',
    args: { orderID, customerID, lines: [{ lineID: randomUUID(), productID, qty: 2, unitPrice: 250 }], occurredAt: new Date().toISOString() },
    timestamp: id,
  };
}

async function push(clientGroupID: string, mutations: Mutation[], options: { token?: string; body?: object; headers?: Record<string, string>; signal?: AbortSignal } = {}) {
  const response = await fetch(`${server.baseUrl}/api/v1/sync/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token ?? agentToken}`, ...options.headers },
    body: JSON.stringify(options.body ?? { pushVersion: 1, clientGroupID, profileID: 'p', schemaVersion: '1', mutations }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function countOf(sql: string, values: unknown[]): Promise<number> {
  const { rows } = await database.db.query<{ count: number }>(`select count(*)::int as count from (${sql}) rows`, values);
  return rows[0]!.count;
}

async function lastMutationID(clientID: string): Promise<number | undefined> {
  const { rows } = await database.db.query<{ last_mutation_id: number }>('select last_mutation_id from sync.clients where id = $1', [clientID]);
  return rows[0]?.last_mutation_id;
}

/** Each order placed by this client exists once, with one order.created event, and nothing else of it. */
async function expectAppliedOnce(clientID: string, mutations: Mutation[]): Promise<void> {
  const orderIDs = mutations.map((mutation) => (mutation.args as { orderID: string }).orderID);
  expect(await countOf('select 1 from orders.orders where id = any($1::uuid[])', [orderIDs])).toBe(orderIDs.length);
  expect(await countOf('select 1 from orders.order_items where order_id = any($1::uuid[])', [orderIDs])).toBe(orderIDs.length);
  const { rows } = await database.db.query<{ mutation_id: number; count: number }>(
    `select mutation_id, count(*)::int as count from events.outbox where client_id = $1 and type = 'order.created' group by mutation_id order by mutation_id`,
    [clientID],
  );
  expect(rows).toEqual(mutations.map((mutation) => ({ mutation_id: mutation.id, count: 1 })));
  expect(await lastMutationID(clientID)).toBe(Math.max(...mutations.map((mutation) => mutation.id)));
}

describe('exactly once', () => {
  test('the same push sent twice applies each mutation once and emits its events once', async () => {
    const group = randomUUID();
    const client = randomUUID();
    const mutations = [placeOrder(client, 1), placeOrder(client, 2), placeOrder(client, 3)];
    const first = await push(group, mutations);
    expect(first).toEqual({ status: 200, body: { lastMutationIDs: { [client]: 3 } } });
    expect(await push(group, mutations)).toEqual(first);
    await expectAppliedOnce(client, mutations);
  });

  test('a push whose response is lost (the connection cut mid-way) is resent: nothing is applied twice', async () => {
    const group = randomUUID();
    const client = randomUUID();
    const mutations = Array.from({ length: 60 }, (_, index) => placeOrder(client, index + 1));
    const abort = new AbortController();
    const cut = push(group, mutations, { signal: abort.signal }).catch((error: unknown) => error);
    // Cut the connection once the server has applied some of it.
    for (let waited = 0; (await lastMutationID(client) ?? 0) === 0 && waited < 5000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
    abort.abort();
    expect(await cut).toBeInstanceOf(Error);
    const resent = await push(group, mutations);
    expect(resent.status).toBe(200);
    await expectAppliedOnce(client, mutations);
  });

  test('two tabs pushing the same client group at once, with overlapping mutations, apply each once', async () => {
    const group = randomUUID();
    const [tabA, tabB] = [randomUUID(), randomUUID()];
    const ofA = Array.from({ length: 12 }, (_, index) => placeOrder(tabA, index + 1));
    const ofB = Array.from({ length: 12 }, (_, index) => placeOrder(tabB, index + 1));
    // Each tab pushes its own mutations and, after a restart recovery, the other's too.
    const results = await Promise.all([push(group, [...ofA, ...ofB]), push(group, [...ofB, ...ofA]), push(group, ofA), push(group, ofB)]);
    expect(results.map((result) => result.status)).toEqual([200, 200, 200, 200]);
    await expectAppliedOnce(tabA, ofA);
    await expectAppliedOnce(tabB, ofB);
  });
});

describe('rejections', () => {
  test('a rejected mutation advances the id, leaves no effect, records a typed result, and the next one applies', async () => {
    const group = randomUUID();
    const client = randomUUID();
    const unknownCustomer = placeOrder(client, 1);
    (unknownCustomer.args as { customerID: string }).customerID = randomUUID();
    const unknownMutator: Mutation = { clientID: client, id: 2, name: 'order.teleport', args: {}, timestamp: 2 };
    const badArgs: Mutation = { clientID: client, id: 3, name: 'order.place', args: { orderID: 'not-a-uuid', lines: [] }, timestamp: 3 };
    const good = placeOrder(client, 4);
    expect(await push(group, [unknownCustomer, unknownMutator, badArgs, good])).toEqual({ status: 200, body: { lastMutationIDs: { [client]: 4 } } });

    const { rows } = await database.db.query<{ mutation_id: number; status: string; code: string; message: string }>(
      'select mutation_id, status, code, message from sync.mutation_results where client_id = $1 order by mutation_id',
      [client],
    );
    expect(rows.map(({ mutation_id, status, code }) => ({ mutation_id, status, code }))).toEqual([
      { mutation_id: 1, status: 'rejected', code: 'NOT_FOUND' },
      { mutation_id: 2, status: 'rejected', code: 'UNKNOWN_MUTATOR' },
      { mutation_id: 3, status: 'rejected', code: 'INVALID_ARGS' },
    ]);
    expect(rows[2]!.message).toMatch(/orderID/);
    expect(await countOf('select 1 from orders.orders where id = $1', [(unknownCustomer.args as { orderID: string }).orderID])).toBe(0);
    await expectAppliedOnce(client, [good]);
    expect(await countOf('select 1 from events.outbox where client_id = $1 and mutation_id < 4', [client])).toBe(0); // rejected: no events
  });

  test('a NUL in a name or an argument is recorded as a typed rejection (with U+FFFD), and the next mutation applies', async () => {
    const group = randomUUID();
    const client = randomUUID();
    const nulName: Mutation = { ...placeOrder(client, 1), name: 'order.place\u0000' };
    const nulNote = placeOrder(client, 2);
    (nulNote.args as { note?: string }).note = 'ring twice\u0000';
    const good = placeOrder(client, 3);
    expect(await push(group, [nulName, nulNote, good])).toEqual({ status: 200, body: { lastMutationIDs: { [client]: 3 } } });
    const { rows } = await database.db.query<{ mutation_id: number; name: string; code: string }>('select mutation_id, name, code from sync.mutation_results where client_id = $1 order by mutation_id', [client]);
    expect(rows).toEqual([
      { mutation_id: 1, name: 'order.place\ufffd', code: 'UNKNOWN_MUTATOR' },
      { mutation_id: 2, name: 'order.place', code: 'INVALID_ARGS' },
    ]);
    await expectAppliedOnce(client, [good]);
  });

  test('rejected mutations pushed by several tabs at once are each recorded once', async () => {
    const group = randomUUID();
    const client = randomUUID();
    const mutations = Array.from({ length: 8 }, (_, index) => {
      const mutation = placeOrder(client, index + 1);
      if (index % 2 === 0) (mutation.args as { customerID: string }).customerID = randomUUID(); // NOT_FOUND
      return mutation;
    });
    const results = await Promise.all(Array.from({ length: 4 }, () => push(group, mutations)));
    expect(results).toEqual(Array.from({ length: 4 }, () => ({ status: 200, body: { lastMutationIDs: { [client]: 8 } } })));
    const { rows } = await database.db.query<{ mutation_id: number; code: string }>('select mutation_id::int, code from sync.mutation_results where client_id = $1 order by mutation_id', [client]);
    expect(rows).toEqual([1, 3, 5, 7].map((id) => ({ mutation_id: id, code: 'NOT_FOUND' })));
    expect(await countOf(`select 1 from events.outbox where client_id = $1 and type = 'order.created'`, [client])).toBe(4);
  });

  test('a mutation that breaks a constraint half-way leaves none of its writes', async () => {
    const group = randomUUID();
    const client = randomUUID();
    const first = placeOrder(client, 1);
    const reused = placeOrder(client, 2);
    // The second order's line id is the first order's: its order row is written, then the line fails.
    (reused.args as { lines: { lineID: string }[] }).lines[0]!.lineID = (first.args as { lines: { lineID: string }[] }).lines[0]!.lineID;
    expect((await push(group, [first, reused])).status).toBe(200);
    expect(await countOf('select 1 from orders.orders where id = $1', [(reused.args as { orderID: string }).orderID])).toBe(0);
    const { rows } = await database.db.query<{ status: string; code: string }>('select status, code from sync.mutation_results where client_id = $1', [client]);
    expect(rows).toEqual([{ status: 'rejected', code: 'INVALID_STATE' }]);
    expect(await countOf(`select 1 from events.outbox where client_id = $1 and mutation_id = 2`, [client])).toBe(0);
  });
});

test('an adjustment or an order sent again under a new mutation id is rejected (its id is taken) and changes nothing', async () => {
  const warehouseID = randomUUID();
  await database.db.query(`insert into inventory.warehouses (id, code, name) values ($1, 'WH-D', 'D')`, [warehouseID]);
  const admin = await server.token('admin');
  const group = randomUUID();
  const client = randomUUID();
  const adjustment = { adjustmentID: randomUUID(), warehouseID, productID, delta: 4, reason: 'found', occurredAt: new Date().toISOString() };
  const order = placeOrder(client, 2);
  const mutations: Mutation[] = [
    { clientID: client, id: 1, name: 'stock.adjust', args: adjustment, timestamp: 1 },
    order,
    { clientID: client, id: 3, name: 'stock.adjust', args: adjustment, timestamp: 3 },
    { ...order, id: 4 },
  ];
  expect(await push(group, mutations, { token: admin })).toEqual({ status: 200, body: { lastMutationIDs: { [client]: 4 } } });
  const { rows } = await database.db.query<{ mutation_id: number; status: string; code: string }>(
    'select mutation_id::int, status, code from sync.mutation_results where client_id = $1 order by mutation_id',
    [client],
  );
  expect(rows).toEqual([
    { mutation_id: 3, status: 'rejected', code: 'INVALID_STATE' },
    { mutation_id: 4, status: 'rejected', code: 'INVALID_STATE' },
  ]);
  const { rows: stock } = await database.db.query<{ on_hand: number }>('select on_hand from inventory.stock_items where warehouse_id = $1', [warehouseID]);
  expect(stock).toEqual([{ on_hand: 4 }]);
  expect(await countOf('select 1 from events.outbox where client_id = $1 and mutation_id > 2', [client])).toBe(0);
  expect(await countOf('select 1 from orders.orders where id = $1', [(order.args as { orderID: string }).orderID])).toBe(1);
});

describe('bad input', () => {
  test('a client group of another user is 403 and applies nothing', async () => {
    const group = randomUUID();
    const client = randomUUID();
    expect((await push(group, [placeOrder(client, 1)])).status).toBe(200);
    const otherAgent = await server.token('agent', { agent_id: randomUUID(), territory_id: territory });
    const stolen = placeOrder(randomUUID(), 1);
    const response = await push(group, [stolen], { token: otherAgent });
    expect(response).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect(await countOf('select 1 from orders.orders where id = $1', [(stolen.args as { orderID: string }).orderID])).toBe(0);
    // The owner's own client, pushed under another user's token, is refused as well.
    const hijacked = placeOrder(client, 2);
    expect(await push(group, [hijacked], { token: otherAgent })).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect(await countOf('select 1 from orders.orders where id = $1', [(hijacked.args as { orderID: string }).orderID])).toBe(0);
    expect(await lastMutationID(client)).toBe(1);
  });

  test('a client id already in another client group is 403 and applies nothing', async () => {
    const client = randomUUID();
    expect((await push(randomUUID(), [placeOrder(client, 1)])).status).toBe(200);
    const moved = placeOrder(client, 2);
    expect(await push(randomUUID(), [moved])).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect(await countOf('select 1 from orders.orders where id = $1', [(moved.args as { orderID: string }).orderID])).toBe(0);
    expect(await lastMutationID(client)).toBe(1);
  });

  test('ids going backwards are skipped; an id skipping ahead is a 409 naming the last applied id', async () => {
    const group = randomUUID();
    const client = randomUUID();
    const mutations = [placeOrder(client, 1), placeOrder(client, 2)];
    await push(group, mutations);
    expect(await push(group, [mutations[1]!, mutations[0]!])).toEqual({ status: 200, body: { lastMutationIDs: { [client]: 2 } } });
    const ahead = await push(group, [placeOrder(client, 5)]);
    expect(ahead).toMatchObject({ status: 409, body: { code: 'MUTATION_ID_GAP', details: { clientID: client, lastMutationID: 2 } } });
    await expectAppliedOnce(client, mutations);
  });

  test('other push and schema versions get the answer Replicache expects; malformed bodies a 400; no token a 401', async () => {
    const group = randomUUID();
    expect(await push(group, [], { body: { pushVersion: 0, clientGroupID: group, clientID: 'c', mutations: [] } })).toEqual({
      status: 200,
      body: { error: 'VersionNotSupported', versionType: 'push' },
    });
    expect(await push(group, [], { body: { pushVersion: 1, clientGroupID: group, schemaVersion: '99', mutations: [] } })).toEqual({
      status: 200,
      body: { error: 'VersionNotSupported', versionType: 'schema' },
    });
    expect(await push(group, [], { body: { pushVersion: 1, mutations: 'x' } })).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
    const tooMany = Array.from({ length: 1001 }, (_, index) => ({ clientID: 'c', id: index + 1, name: 'x', args: {}, timestamp: 0 }));
    expect((await push(group, tooMany)).status).toBe(400);
    const response = await fetch(`${server.baseUrl}/api/v1/sync/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(401);
    expect(await push(group, [placeOrder('c', 1)], { headers: { 'niaga-device-time': 'yesterday' } })).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
  });
});

test("the device's clock offset, measured on each push, moves occurredAt onto the server's clock", async () => {
  const group = randomUUID();
  const client = randomUUID();
  const deviceNow = Date.now() - 3_600_000; // the device's clock is an hour behind
  const mutation = placeOrder(client, 1);
  (mutation.args as { occurredAt: string }).occurredAt = new Date(deviceNow - 60_000).toISOString(); // placed "a minute ago"
  expect((await push(group, [mutation], { headers: { 'niaga-device-time': new Date(deviceNow).toISOString() } })).status).toBe(200);
  const { rows } = await database.db.query<{ ago_ms: number }>('select (extract(epoch from now() - occurred_at) * 1000)::int as ago_ms from orders.orders where id = $1', [
    (mutation.args as { orderID: string }).orderID,
  ]);
  expect(rows[0]!.ago_ms).toBeGreaterThan(50_000);
  expect(rows[0]!.ago_ms).toBeLessThan(70_000);
});

describe('reconciliation on the server', () => {
  test('a picker count applies, and an offline adjustment from before it arrives later without changing on hand', async () => {
    const warehouseID = randomUUID();
    await database.db.query(`insert into inventory.warehouses (id, code, name) values ($1, 'WH-R', 'R')`, [warehouseID]);
    await database.db.query('insert into inventory.stock_items (warehouse_id, product_id, on_hand) values ($1, $2, 10)', [warehouseID, productID]);
    const picker = await server.token('warehouse', { warehouse_id: warehouseID });
    const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
    const count: Mutation = {
      clientID: 'scanner-1',
      id: 1,
      name: 'stock.count',
      args: { countID: randomUUID(), warehouseID, productID, countedQty: 8, occurredAt: minutesAgo(10) },
      timestamp: 1,
    };
    const lateAdjustment: Mutation = {
      clientID: 'scanner-2',
      id: 1,
      name: 'stock.adjust',
      args: { adjustmentID: randomUUID(), warehouseID, productID, delta: -2, reason: 'damaged', occurredAt: minutesAgo(30) },
      timestamp: 1,
    };
    const laterAdjustment: Mutation = { ...lateAdjustment, id: 2, args: { ...(lateAdjustment.args as object), adjustmentID: randomUUID(), delta: 5, occurredAt: minutesAgo(1) } };
    expect((await push('scanner-1-group', [count], { token: picker })).status).toBe(200);
    expect((await push('scanner-2-group', [lateAdjustment, laterAdjustment], { token: picker })).status).toBe(200);
    const { rows } = await database.db.query<{ on_hand: number }>('select on_hand from inventory.stock_items where warehouse_id = $1', [warehouseID]);
    expect(rows).toEqual([{ on_hand: 13 }]); // the count (8) + what moved after it (+5)
    const { rows: ledger } = await database.db.query<{ kind: string; quantity: number; affects_on_hand: boolean }>(
      'select kind, quantity, affects_on_hand from inventory.movements where warehouse_id = $1 order by occurred_at',
      [warehouseID],
    );
    expect(ledger).toEqual([
      { kind: 'adjustment', quantity: -2, affects_on_hand: false },
      { kind: 'count', quantity: -2, affects_on_hand: true },
      { kind: 'adjustment', quantity: 5, affects_on_hand: true },
    ]);
    const { rows: counts } = await database.db.query<{ status: string; expected_qty: number; variance: number }>(
      'select status, expected_qty, variance from inventory.count_lines where warehouse_id = $1',
      [warehouseID],
    );
    expect(counts).toEqual([{ status: 'applied', expected_qty: 8, variance: 0 }]); // the late damage explained the shortfall
  });

  test('a quoted price is honoured if it was the catalogue price recently, else the order is adjusted to the current price', async () => {
    const repricedID = randomUUID();
    await database.db.query(`insert into catalog.products (id, sku, name, price_minor) values ($1, 'COF-1', 'Coffee', 500)`, [repricedID]);
    await database.db.query(
      `insert into catalog.price_history (product_id, price_minor, currency, effective_from) values
         ($1, 450, 'USD', now() - interval '10 days'), ($1, 500, 'USD', now() - interval '1 day')`,
      [repricedID],
    );
    const client = randomUUID();
    const order = (id: number, unitPrice: number) => {
      const mutation = placeOrder(client, id);
      (mutation.args as { lines: { productID: string; unitPrice: number }[] }).lines = [{ ...(mutation.args as { lines: { productID: string; unitPrice: number }[] }).lines[0]!, productID: repricedID, unitPrice }];
      return mutation;
    };
    const honoured = order(1, 450); // the price until yesterday, when the agent took the order offline
    (honoured.args as { occurredAt: string }).occurredAt = new Date(Date.now() - 2 * 86_400_000).toISOString();
    const stale = order(2, 450); // the old price, quoted today: not the price when taken
    expect((await push(randomUUID(), [honoured, stale])).status).toBe(200);
    const { rows } = await database.db.query<{ id: string; status: string; total_minor: number }>('select id, status, total_minor from orders.orders where id = any($1::uuid[]) order by total_minor', [
      [(honoured.args as { orderID: string }).orderID, (stale.args as { orderID: string }).orderID],
    ]);
    // The saga may already have confirmed or backordered them; the totals and results tell the pricing.
    expect(rows.map((row) => row.total_minor)).toEqual([900, 1000]);
    expect(['placed', 'confirmed', 'backordered']).toContain(rows[0]!.status);
    expect(['adjusted', 'confirmed', 'backordered']).toContain(rows[1]!.status);
    const { rows: results } = await database.db.query<{ mutation_id: number; status: string; code: string }>('select mutation_id, status, code from sync.mutation_results where client_id = $1', [client]);
    expect(results).toEqual([{ mutation_id: 2, status: 'adjusted', code: 'PRICE_CHANGED' }]);
  });
});

test('two devices take the same invoice offline: the first payment is processed, the second kept as failed; both announced, the device told', async () => {
  const placed = placeOrder(randomUUID(), 1);
  expect((await push(randomUUID(), [placed])).status).toBe(200);
  const orderID = (placed.args as { orderID: string }).orderID;
  const [order] = (await database.db.query<{ total_minor: string }>('select total_minor from orders.orders where id = $1', [orderID])).rows;
  // The invoice was on credit terms: a pending payment the first collection settles.
  await database.db.query(
    `insert into orders.payments (order_id, customer_id, amount_minor, currency, method, status) select id, customer_id, total_minor, currency, 'credit', 'pending' from orders.orders where id = $1`,
    [orderID],
  );
  const pay = (clientID: string) => ({
    clientID,
    id: 1,
    name: 'payment.record',
    args: { paymentID: randomUUID(), orderID, amountMinor: Number(order!.total_minor), method: 'cash', occurredAt: new Date().toISOString() },
    timestamp: 1,
  });
  const [phone, tablet] = [pay(randomUUID()), pay(randomUUID())];
  const answers = await Promise.all([push(randomUUID(), [phone]), push(randomUUID(), [tablet])]);
  expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
  const { rows: payments } = await database.db.query<{ status: string; agent_id: string; failure_reason: string | null }>(
    `select status, agent_id, failure_reason from orders.payments where order_id = $1 and method <> 'credit' order by status desc`,
    [orderID],
  );
  expect((await database.db.query(`select status from orders.payments where order_id = $1 and method = 'credit'`, [orderID])).rows).toEqual([{ status: 'settled' }]);
  expect(payments).toMatchObject([
    { status: 'processed', agent_id: agentID, failure_reason: null },
    { status: 'failed', agent_id: agentID, failure_reason: expect.stringContaining('had 0 left to pay') as unknown },
  ]);
  const { rows: events } = await database.db.query<{ type: string; client_id: string }>(
    `select type, client_id from events.outbox where type like 'payment.%' and payload->>'orderID' = $1 order by type desc`,
    [orderID],
  );
  expect(events.map((event) => event.type)).toEqual(['payment.processed', 'payment.failed']);
  const { rows: results } = await database.db.query<{ status: string; code: string }>('select status, code from sync.mutation_results where client_id = any($1::text[])', [[phone.clientID, tablet.clientID]]);
  expect(results).toEqual([{ status: 'adjusted', code: 'OVERPAYMENT' }]);
  // Each event names the device whose mutation caused it: one each.
  expect(new Set(events.map((event) => event.client_id))).toEqual(new Set([phone.clientID, tablet.clientID]));
});

test('devices adjusting the same stock at the same moment lose none of each other’s changes', async () => {
  const warehouseID = randomUUID();
  await database.db.query(`insert into inventory.warehouses (id, code, name) values ($1, 'WH-C', 'C')`, [warehouseID]);
  const picker = await server.token('warehouse', { warehouse_id: warehouseID });
  const deltas = Array.from({ length: 6 }, (_, device) => Array.from({ length: 8 }, (_, index) => ((device * 8 + index) % 7) - 3 || 5));
  await Promise.all(
    deltas.map(async (mine) => {
      const client = randomUUID();
      for (const [index, delta] of mine.entries()) {
        const mutation = {
          clientID: client,
          id: index + 1,
          name: 'stock.adjust',
          args: { adjustmentID: randomUUID(), warehouseID, productID, delta, reason: 'race', occurredAt: new Date().toISOString() },
          timestamp: 0,
        };
        expect((await push(client, [mutation], { token: picker })).status).toBe(200);
      }
    }),
  );
  const { rows } = await database.db.query<{ on_hand: number; rows: number }>(
    'select sum(on_hand)::int as on_hand, count(*)::int as rows from inventory.stock_items where warehouse_id = $1',
    [warehouseID],
  );
  expect(rows[0]).toEqual({ on_hand: deltas.flat().reduce((sum, delta) => sum + delta, 0), rows: 1 });
});

test('a shopper adding to their cart from several devices at once loses no item', async () => {
  const shopperID = randomUUID();
  await database.db.query(`insert into customers.customers (id, name) values ($1, 'Shopper')`, [shopperID]);
  const shopper = await server.token('customer', { customer_id: shopperID });
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      const client = randomUUID();
      for (let id = 1; id <= 3; id++) {
        const mutation = { clientID: client, id, name: 'cart.add', args: { itemID: randomUUID(), productID, qty: 1 }, timestamp: 0 };
        expect((await push(client, [mutation], { token: shopper })).status).toBe(200);
      }
    }),
  );
  const { rows } = await database.db.query<{ qty: number }>('select qty from orders.cart_items where customer_id = $1', [shopperID]);
  expect(rows).toEqual([{ qty: 12 }]);
});

test('a push without the device-time header corrects times by the offset measured last', async () => {
  const group = randomUUID();
  const client = randomUUID();
  const deviceNow = Date.now() - 3_600_000; // an hour behind
  expect((await push(group, [placeOrder(client, 1)], { headers: { 'niaga-device-time': new Date(deviceNow).toISOString() } })).status).toBe(200);
  const later = placeOrder(client, 2);
  (later.args as { occurredAt: string }).occurredAt = new Date(deviceNow - 60_000).toISOString(); // "a minute ago" on the device
  expect((await push(group, [later])).status).toBe(200);
  const { rows } = await database.db.query<{ ago_ms: number }>('select (extract(epoch from now() - occurred_at) * 1000)::int as ago_ms from orders.orders where id = $1', [
    (later.args as { orderID: string }).orderID,
  ]);
  expect(rows[0]!.ago_ms).toBeGreaterThan(50_000);
  expect(rows[0]!.ago_ms).toBeLessThan(70_000);
});

test('a connection lost mid-mutation, after its id was claimed, advances nothing; the resend applies it once', async () => {
  const warehouseID = randomUUID();
  await database.db.query(`insert into inventory.warehouses (id, code, name) values ($1, 'WH-L', 'L')`, [warehouseID]);
  await database.db.query('insert into inventory.stock_items (warehouse_id, product_id, on_hand) values ($1, $2, 10)', [warehouseID, productID]);
  const picker = await server.token('warehouse', { warehouse_id: warehouseID });
  const group = randomUUID();
  const client = randomUUID();
  const adjust = (id: number, delta: number): Mutation => ({
    clientID: client,
    id,
    name: 'stock.adjust',
    args: { adjustmentID: randomUUID(), warehouseID, productID, delta, reason: 'lost connection', occurredAt: new Date().toISOString() },
    timestamp: id,
  });
  const mutations = [adjust(1, 1), adjust(2, 2)];
  expect((await push(group, mutations.slice(0, 1), { token: picker })).status).toBe(200);

  // Hold the stock row, so mutation 2 waits on it after its claim advanced the id, then cut its connection.
  const cut = await database.db.transaction(async (tx) => {
    await tx.query('select 1 from inventory.stock_items where warehouse_id = $1 for update', [warehouseID]);
    const pending = push(group, mutations, { token: picker });
    let waiting: number | undefined;
    for (let waited = 0; waiting === undefined && waited < 10_000; waited += 10) {
      // Outside the transaction: pg_stat_activity is a snapshot taken once per transaction.
      const { rows } = await database.db.query<{ pid: number }>(`select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%stock_items%'`);
      waiting = rows[0]?.pid;
      if (waiting === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(waiting).toBeDefined();
    await database.db.query('select pg_terminate_backend($1)', [waiting]);
    return pending;
  });
  expect(cut).toMatchObject({ status: 503, body: { code: 'UNAVAILABLE' } });
  expect(await lastMutationID(client)).toBe(1);
  expect(await countOf('select 1 from inventory.movements where client_id = $1', [client])).toBe(1);

  expect(await push(group, mutations, { token: picker })).toEqual({ status: 200, body: { lastMutationIDs: { [client]: 2 } } });
  expect(await countOf('select 1 from inventory.movements where client_id = $1', [client])).toBe(2);
  const { rows } = await database.db.query<{ on_hand: number }>('select on_hand from inventory.stock_items where warehouse_id = $1', [warehouseID]);
  expect(rows).toEqual([{ on_hand: 13 }]);
  expect(await countOf(`select 1 from events.outbox where client_id = $1 and type = 'inventory.updated'`, [client])).toBe(2);
});

test('a device clock a month off is corrected as far as the column holds, and its pushes still apply', async () => {
  const client = randomUUID();
  const mutation = placeOrder(client, 1);
  const response = await push(randomUUID(), [mutation], { headers: { 'niaga-device-time': new Date(Date.now() - 30 * 86_400_000).toISOString() } });
  expect(response).toEqual({ status: 200, body: { lastMutationIDs: { [client]: 1 } } });
  const { rows } = await database.db.query<{ clock_offset_ms: number }>('select clock_offset_ms from sync.clients where id = $1', [client]);
  expect(rows[0]!.clock_offset_ms).toBe(2_000_000_000);
});

test('an occurredAt from a reset device clock (1970) is refused with a message saying so, and the queue moves on', async () => {
  const client = randomUUID();
  const reset = placeOrder(client, 1);
  (reset.args as { occurredAt: string }).occurredAt = '1970-01-01T00:00:00.000Z';
  expect(await push(randomUUID(), [reset, placeOrder(client, 2)])).toEqual({ status: 200, body: { lastMutationIDs: { [client]: 2 } } });
  const { rows } = await database.db.query<{ mutation_id: number; code: string; message: string }>('select mutation_id, code, message from sync.mutation_results where client_id = $1', [client]);
  expect(rows).toEqual([{ mutation_id: 1, code: 'INVALID_ARGS', message: expect.stringMatching(/device clock/) as unknown }]);
});
