import { ShapeStream } from '@electric-sql/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import pg from 'pg';
import { startPgShapeBackend, type PgShapeBackend } from '../test-support/pg-shape-backend.ts';
import { shapeOf } from '../test-support/shape-server.ts';

let backend: PgShapeBackend;
const warehouse1 = '11111111-0000-4000-8000-000000000001';
const warehouse2 = '22222222-0000-4000-8000-000000000002';

beforeAll(async () => {
  backend = await startPgShapeBackend();
  await backend.database.db.query(
    `insert into inventory.warehouses (id, code, name) values ($1, 'WH-1', 'One'), ($2, 'WH-2', 'Two')`,
    [warehouse1, warehouse2],
  );
}, 60_000);
afterAll(async () => {
  await backend?.close();
});

async function waitFor(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('shapes over Postgres logical replication', () => {
  test('a TRUNCATE retires the shape: the client refetches and ends with exactly the new rows', async () => {
    const db = backend.database.db;
    await db.query(`insert into agents.territories (code, name) values ('TT-1', 'Before')`);
    const token = await backend.server.token('admin');
    const stream = new ShapeStream({ url: backend.server.shapeUrl, params: { table: 'agents.territories' }, headers: { Authorization: `Bearer ${token}` } });
    const shape = shapeOf(stream);
    try {
      expect((await shape.rows).map((row) => row.code)).toEqual(['TT-1']);
      await db.query('truncate agents.territories cascade');
      await db.query(`insert into agents.territories (code, name) values ('TT-2', 'After')`);
      await waitFor(() => shape.currentRows.length === 1 && shape.currentRows[0]!.code === 'TT-2', 'the refetch after truncate');
    } finally {
      stream.unsubscribeAll();
    }
  });

  test('transactions committing in another order than they began both arrive (T1 begins, T2 begins, T2 commits, read, T1 commits)', async () => {
    const token = await backend.server.token('admin');
    const stream = new ShapeStream({ url: backend.server.shapeUrl, params: { table: 'catalog.products' }, headers: { Authorization: `Bearer ${token}` } });
    const shape = shapeOf(stream);
    const t1 = new pg.Client({ connectionString: backend.database.url });
    const t2 = new pg.Client({ connectionString: backend.database.url });
    await Promise.all([t1.connect(), t2.connect()]);
    try {
      await shape.rows;
      await t1.query('begin');
      await t1.query(`insert into catalog.products (sku, name, price_minor) values ('T1', 'first begun', 1)`);
      await t2.query('begin');
      await t2.query(`insert into catalog.products (sku, name, price_minor) values ('T2', 'second begun', 1)`);
      await t2.query('commit');
      await waitFor(() => shape.currentRows.some((row) => row.sku === 'T2'), 'T2');
      await t1.query('commit');
      await waitFor(() => shape.currentRows.some((row) => row.sku === 'T1'), 'T1');
    } finally {
      stream.unsubscribeAll();
      await Promise.all([t1.end(), t2.end()]);
    }
  });

  test('a picker sees only their warehouse, and a row moved to it arrives as an insert, moved away as a delete', async () => {
    const db = backend.database.db;
    await db.query(
      `insert into inventory.stock_items (warehouse_id, product_id, on_hand) values ($1, gen_random_uuid(), 5), ($2, gen_random_uuid(), 7)`,
      [warehouse1, warehouse2],
    );
    const token = await backend.server.token('warehouse', { warehouse_id: warehouse1 });
    const stream = new ShapeStream({ url: backend.server.shapeUrl, params: { table: 'inventory.stock_items' }, headers: { Authorization: `Bearer ${token}` } });
    const shape = shapeOf(stream);
    try {
      const rows = await shape.rows;
      expect(rows.map((row) => row.warehouse_id)).toEqual([warehouse1]);
      await db.query('update inventory.stock_items set warehouse_id = $1 where warehouse_id = $2', [warehouse1, warehouse2]);
      await waitFor(() => shape.currentRows.length === 2, 'the move-in');
      await db.query(`update inventory.stock_items set warehouse_id = $1 where on_hand = 5`, [warehouse2]);
      await waitFor(() => shape.currentRows.length === 1 && shape.currentRows[0]!.on_hand === 7, 'the move-out');
    } finally {
      stream.unsubscribeAll();
    }
  });
});
