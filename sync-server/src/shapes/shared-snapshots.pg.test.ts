/**
 * One-page snapshots shared by the clients that start the same shape within SHAPE_SNAPSHOT_SHARE_MS,
 * against real Postgres with capture running: a crowd of first syncs takes one snapshot, and a
 * client given an older shared snapshot still ends with exactly the database's rows (official client).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startPgShapeBackend, type PgShapeBackend } from '../test-support/pg-shape-backend.ts';
import { byKey, closeBackend, openShape, serverRows, waitFor } from '../test-support/shape-test-kit.ts';
import { compactChangeLog } from './compaction.ts';

let backend: PgShapeBackend;
const [north, south] = [randomUUID(), randomUUID()];

beforeAll(async () => {
  backend = await startPgShapeBackend({ env: { SHAPE_SNAPSHOT_SHARE_MS: '5000' } });
  const db = backend.database.db;
  await db.query(`insert into inventory.warehouses (id, code, name) values ($1, 'WH-N', 'North'), ($2, 'WH-S', 'South')`, [north, south]);
  await db.query(
    `with p as (insert into catalog.products (sku, name, price_minor) select 'SH-' || n, 'Shared ' || n, 100 from generate_series(1, 40) n returning id)
     insert into inventory.stock_items (warehouse_id, product_id, on_hand) select w, p.id, 5 from p, unnest(array[$1::uuid, $2::uuid]) w`,
    [north, south],
  );
}, 60_000);
afterAll(async () => closeBackend(backend));

const picker = (warehouse: string) => backend.server.token('warehouse', { warehouse_id: warehouse });
const snapshotsTaken = async () => Number(/^niaga_shape_snapshots_total\{table="inventory.stock_items"\} (\d+)/m.exec(await (await fetch(`${backend.server.baseUrl}/metrics`)).text())?.[1] ?? 0);
const firstRequest = async (token: string) => {
  const response = await fetch(`${backend.server.shapeUrl}?table=inventory.stock_items&offset=-1`, { headers: { Authorization: `Bearer ${token}` } });
  return {
    handle: response.headers.get('electric-handle'),
    lsn: response.headers.get('electric-offset')!.split('_')[0]!,
    rows: ((await response.json()) as { value?: unknown }[]).filter((message) => message.value).length,
  };
};

test('a crowd of first syncs of one shape takes one snapshot; another warehouse’s pickers take their own', async () => {
  const before = await snapshotsTaken();
  const tokens = await Promise.all(Array.from({ length: 30 }, () => picker(north)));
  const crowd = await Promise.all(tokens.map(firstRequest));
  expect(new Set(crowd.map((answer) => answer.handle)).size).toBe(1);
  expect(crowd.every((answer) => answer.rows === 40)).toBe(true);
  const other = await firstRequest(await picker(south));
  expect(other.handle).not.toBe(crowd[0]!.handle);
  expect((await snapshotsTaken()) - before).toBe(2);
});

test('a client given a shared snapshot taken before later writes still ends with exactly the database’s rows', async () => {
  const db = backend.database.db;
  const first = await firstRequest(await picker(south));
  await db.query(`update inventory.stock_items set on_hand = on_hand + 1 where warehouse_id = $1 and product_id in (select id from catalog.products where sku in ('SH-1', 'SH-2'))`, [south]);
  await db.query(`delete from inventory.stock_items where warehouse_id = $1 and product_id = (select id from catalog.products where sku = 'SH-3')`, [south]);
  await db.query(`update inventory.stock_items set warehouse_id = $1 where warehouse_id = $2 and product_id = (select id from catalog.products where sku = 'SH-3')`, [south, north]); // moves in, in place of the deleted one
  const live = openShape(backend, { token: await picker(south), mode: 'long-poll', params: { table: 'inventory.stock_items' } });
  try {
    const expected = await serverRows(db, 'inventory.stock_items', 'warehouse_id = $1', [south]);
    await waitFor(() => JSON.stringify(byKey([...live.shape.currentRows.values()])) === JSON.stringify(byKey(expected)), 'the shared-snapshot client to match the database');
    expect(live.responses[0]!.handle).toBe(first.handle); // it did start from the shared snapshot
    expect(live.errors).toEqual([]);
  } finally {
    live.close();
  }
});

test('after a truncate, the next first sync takes a new snapshot instead of the shared one from before', async () => {
  const token = await picker(north);
  const before = await firstRequest(token);
  await backend.database.db.query('truncate inventory.movements'); // a synced table other than the shape's: still shared
  expect((await firstRequest(token)).handle).toBe(before.handle);
  await backend.database.db.query('truncate inventory.stock_items cascade');
  await waitFor(async () => (await firstRequest(token)).handle !== before.handle, 'a new snapshot after the truncate', 4_000);
  expect((await firstRequest(token)).rows).toBe(0);
});

test('a shared snapshot the log was since compacted past is not given out again: the next first sync takes a new one', async () => {
  const token = await picker(north);
  const before = await firstRequest(token);
  // (The truncate above left the table empty.)
  await backend.database.db.query(`insert into inventory.stock_items (warehouse_id, product_id, on_hand) select $1, id, 1 from catalog.products where sku = 'SH-1'`, [north]);
  await waitFor(async () => (await backend.database.db.query(`select 1 from sync.change_log where table_name = 'inventory.stock_items' and lsn > $1`, [before.lsn])).rows.length > 0, 'the update in the log');
  await compactChangeLog(backend.database.db, 0);
  await waitFor(async () => (await firstRequest(token)).handle !== before.handle, 'a new snapshot after the compaction', 4_000);
});
