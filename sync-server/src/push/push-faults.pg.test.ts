/**
 * A push while the database is down advances nothing and answers 503; the device retries after
 * the database is back and every mutation applies exactly once. Runs its own Postgres to kill it.
 */
import { randomUUID } from 'node:crypto';
import { createPgExecutor, type PgExecutor } from '@niaga/db/pg';
import { migrate } from '@niaga/migrations';
import { startPostgres, type EngineHandle } from '@niaga/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { appendTransactions } from '../capture/log-appender.ts';
import { startShapeServer, type ShapeServer } from '../test-support/shape-server.ts';

let engine: EngineHandle;
let db: PgExecutor;
let server: ShapeServer;
const customerID = randomUUID();
const productID = randomUUID();

beforeAll(async () => {
  engine = await startPostgres();
  db = createPgExecutor(engine.url);
  await migrate(db);
  await db.query(`insert into customers.customers (id, name) values ($1, 'Shop')`, [customerID]);
  await db.query(`insert into catalog.products (id, sku, name, price_minor) values ($1, 'TEA-1', 'Tea', 250)`, [productID]);
  server = await startShapeServer(db);
}, 90_000);
afterAll(async () => {
  await server?.close();
  await db?.close();
  await engine?.dispose();
});

test('a push while the database is down is a 503 that applies nothing; the retry applies each mutation once', async () => {
  const token = await server.token('admin');
  const client = randomUUID();
  const mutations = [1, 2, 3].map((id) => ({
    clientID: client,
    id,
    name: 'order.place',
    args: { orderID: randomUUID(), customerID, lines: [{ lineID: randomUUID(), productID, qty: 1, unitPrice: 250 }], occurredAt: new Date().toISOString() },
    timestamp: id,
  }));
  const push = async (batch: typeof mutations) => {
    const response = await fetch(`${server.baseUrl}/api/v1/sync/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ pushVersion: 1, clientGroupID: 'group-1', mutations: batch }),
    });
    return { status: response.status, body: (await response.json()) as { code?: string; lastMutationIDs?: Record<string, number> } };
  };

  expect(await push(mutations.slice(0, 1))).toEqual({ status: 200, body: { lastMutationIDs: { [client]: 1 } } });
  // The test engine runs with synchronous_commit=off: give the WAL writer (200 ms) time to write
  // the commit out before the crash, as a production server's synchronous commit would have.
  await new Promise((resolve) => setTimeout(resolve, 500));
  await engine.kill();
  const down = await push(mutations);
  expect(down).toMatchObject({ status: 503, body: { code: 'UNAVAILABLE' } });

  await engine.restart();
  const { rows: before } = await db.query<{ last_mutation_id: number }>('select last_mutation_id from sync.clients where id = $1', [client]);
  expect(before).toEqual([{ last_mutation_id: 1 }]);
  expect(await push(mutations)).toEqual({ status: 200, body: { lastMutationIDs: { [client]: 3 } } });
  const { rows } = await db.query<{ orders: number; events: number }>(
    `select (select count(*) from orders.orders)::int as orders, (select count(*) from events.outbox where client_id = $1 and type = 'order.created')::int as events`,
    [client],
  );
  expect(rows[0]).toEqual({ orders: 3, events: 3 });
}, 60_000);

test("the change feed listens again after the database was down for longer than one reconnect attempt", async () => {
  const position = async () => {
    const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
    return BigInt(/^niaga_change_log_position (\d+)/m.exec(text)?.[1] ?? '0');
  };
  await engine.kill();
  await new Promise((resolve) => setTimeout(resolve, 3500)); // the feed retries every second meanwhile
  await engine.restart();
  // Far ahead of any real lsn: capture would now skip real transactions below it as already
  // logged. This server runs no capture leader, and this is the file's last test.
  const lsn = (await position()) + 1_000_000n;
  // As the capture leader appends (its NOTIFY is what the feed listens for); the pool may need a moment after the restart.
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await appendTransactions(db, [{ lsn, xid: 3n, changes: [{ table: 'catalog.products', operation: 'insert', oldRow: null, newRow: { id: randomUUID(), sku: 'AFTER', name: 'after the outage' } }], truncatedTables: [] }], 5000);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  while ((await position()) < lsn) {
    if (Date.now() > deadline) throw new Error('the feed did not hear of the append after the outage');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 60_000);
