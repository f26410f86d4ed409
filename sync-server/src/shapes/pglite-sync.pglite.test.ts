import { PGlite } from '@electric-sql/pglite';
import { electricSync } from '@electric-sql/pglite-sync';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { PgliteExecutor } from '@niaga/db/pglite';
import { capturedPglite, type ShapeServer, startShapeServer } from '../test-support/shape-server.ts';

let db: PgliteExecutor;
let server: ShapeServer;
const agentID = 'aaaaaaaa-0000-4000-8000-00000000a001';
const otherAgentID = 'aaaaaaaa-0000-4000-8000-00000000a002';
const customerID = 'cccccccc-0000-4000-8000-00000000c001';

beforeAll(async () => {
  db = await capturedPglite();
  server = await startShapeServer(db);
}, 60_000);
afterAll(async () => {
  await server.close();
  await db.close();
});

let orderCount = 0;
async function placeOrder(agent: string, lines: number): Promise<void> {
  orderCount += 1;
  await db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `insert into orders.orders (customer_id, agent_id, currency, total_minor) values ($1, $2, 'USD', $3) returning id`,
      [customerID, agent, lines * 100],
    );
    for (let line = 0; line < lines; line++) {
      await tx.query(
        `insert into orders.order_items (order_id, customer_id, agent_id, product_id, sku, name, qty, unit_price_minor, line_total_minor)
         values ($1, $2, $3, gen_random_uuid(), $4, 'Item', 1, 100, 100)`,
        [rows[0]!.id, customerID, agent, `SKU-${orderCount}-${line}`],
      );
    }
  });
}

test('syncShapesToTables commits each server transaction whole: an order never appears without its lines', async () => {
  await placeOrder(agentID, 2);
  await placeOrder(otherAgentID, 1);
  const client = await PGlite.create({ extensions: { electric: electricSync() } });
  await client.exec(`
    create table orders (id uuid primary key, customer_id uuid, agent_id uuid, status text, total_minor bigint);
    create table order_items (id uuid primary key, order_id uuid, agent_id uuid, sku text, qty int);`);
  const token = await server.token('agent', { agent_id: agentID });
  const shape = (table: string, columns: string[]) => ({
    shape: { url: server.shapeUrl, params: { table, columns }, headers: { Authorization: `Bearer ${token}` } },
    table: table.split('.')[1]!,
    primaryKey: ['id'],
  });
  const sync = await client.electric.syncShapesToTables({
    key: null,
    shapes: {
      orders: shape('orders.orders', ['id', 'customer_id', 'agent_id', 'status', 'total_minor']),
      items: shape('orders.order_items', ['id', 'order_id', 'agent_id', 'sku', 'qty']),
    },
  });
  const torn: string[] = [];
  const check = async () => {
    const { rows } = await client.query<{ id: string; expected: number; actual: number }>(
      `select o.id, (o.total_minor / 100)::int as expected, (select count(*) from order_items i where i.order_id = o.id)::int as actual from orders o`,
    );
    for (const row of rows) if (row.expected !== row.actual) torn.push(`${row.id}: ${row.actual}/${row.expected}`);
    return rows.length;
  };
  try {
    const deadline = Date.now() + 45_000;
    while ((await check()) < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    for (let i = 0; i < 10; i++) {
      await placeOrder(agentID, 1 + (i % 4));
      await placeOrder(otherAgentID, 2);
      await check();
    }
    while ((await check()) < 11 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await check()).toBe(11);
    expect(torn).toEqual([]);
    const { rows } = await client.query<{ agents: string[] }>('select array_agg(distinct agent_id::text) as agents from order_items');
    expect(rows[0]!.agents).toEqual([agentID]);
  } finally {
    sync.unsubscribe();
    await client.close();
  }
}, 60_000);
