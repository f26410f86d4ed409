import { ShapeStream } from '@electric-sql/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import pg from 'pg';
import { startPgShapeBackend, type PgShapeBackend } from '../test-support/pg-shape-backend.ts';
import { shapeOf, startShapeServer } from '../test-support/shape-server.ts';

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

  test("the feed reads, and the leader appends, over connections of their own: cut, they reconnect and a live client still gets every change", async () => {
    const db = backend.database.db;
    const token = await backend.server.token('admin');
    const stream = new ShapeStream({ url: backend.server.shapeUrl, params: { table: 'agents.territories', where: "code LIKE 'CUT-%'" }, headers: { Authorization: `Bearer ${token}` } });
    const shape = shapeOf(stream);
    try {
      await shape.rows;
      await db.query(`insert into agents.territories (code, name) values ('CUT-1', 'before the cut')`);
      await waitFor(() => shape.currentRows.length === 1, 'the first row');
      const { rows } = await db.query<{ cut: number }>(
        `select count(pg_terminate_backend(pid))::int as cut from pg_stat_activity where datname = current_database() and application_name in ('niaga-change-feed', 'niaga-capture-leader')`,
      );
      expect(rows[0]!.cut).toBe(2);
      await db.query(`insert into agents.territories (code, name) values ('CUT-2', 'after the cut')`);
      await waitFor(() => shape.currentRows.length === 2, 'the row written after the cut', 30_000);
      expect(shape.currentRows.map((row) => row.code).sort()).toEqual(['CUT-1', 'CUT-2']);
    } finally {
      stream.unsubscribeAll();
    }
  }, 45_000);

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

  test('a second server instance (no leader of its own) serves the same log and wakes on NOTIFY', async () => {
    const second = await startShapeServer(backend.database.db);
    const token = await second.token('admin');
    const stream = new ShapeStream({ url: second.shapeUrl, params: { table: 'agents.territories', where: "code like 'MI-%'" }, headers: { Authorization: `Bearer ${token}` } });
    const shape = shapeOf(stream);
    try {
      expect(await shape.rows).toEqual([]);
      await backend.database.db.query(`insert into agents.territories (code, name) values ('MI-1', 'Seen on the other instance')`);
      await waitFor(() => shape.currentRows.length === 1, 'the change on the second instance');
    } finally {
      stream.unsubscribeAll();
      await second.close();
    }
  });

  test('offset=now skips history and replica=full sends whole rows with old values', async () => {
    const db = backend.database.db;
    await db.query(`insert into agents.territories (code, name, region) values ('RF-1', 'Full', 'North')`);
    const admin = await backend.server.token('admin');
    const get = (query: string) => fetch(`${backend.server.shapeUrl}?${query}`, { headers: { authorization: `Bearer ${admin}` } });
    const now = await get('table=agents.territories&offset=now&replica=full');
    expect(now.status).toBe(200);
    const controls = ((await now.json()) as { headers: { control?: string } }[]).map((message) => message.headers.control);
    expect(controls).toEqual(['snapshot-end', 'up-to-date']);
    const handle = now.headers.get('electric-handle')!;
    const offset = now.headers.get('electric-offset')!;
    await db.query(`update agents.territories set name = 'Fuller' where code = 'RF-1'`);
    await backend.logCaughtUp();
    const changes = (await (await get(`table=agents.territories&offset=${offset}&handle=${handle}&replica=full`)).json()) as { value?: Record<string, unknown>; old_value?: Record<string, unknown>; headers: Record<string, unknown> }[];
    const update = changes.find((message) => message.headers.operation === 'update')!;
    expect(update.value).toMatchObject({ code: 'RF-1', name: 'Fuller', region: 'North' });
    // old_value holds the previous values of exactly the changed columns (the touch trigger moved updated_at).
    expect(Object.keys(update.old_value!).sort()).toEqual(['name', 'updated_at']);
    expect(update.old_value).toMatchObject({ name: 'Full' });
    const partial = await get(`table=agents.territories&offset=${offset}&handle=${handle}`);
    expect(partial.status).toBe(409); // another definition (replica=default) may not reuse the handle
  });
});


async function waitUntil(predicate: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const snapshotTransactions = async (db: PgShapeBackend['database']['db']) =>
  (await db.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and state = 'idle in transaction' and query like 'fetch forward % from niaga_snapshot_rows'`)).rows[0]!.n;

describe('snapshots that keep pace with their client', () => {
  test('the official client gets every page of a snapshot read one page ahead of it; one whose client goes away is given up, its transaction and handle with it', async () => {
    const db = backend.database.db;
    await db.query(`insert into catalog.categories (name, slug) select 'Paced ' || n, 'paced-' || n from generate_series(1, 95) n`);
    const paced = await startShapeServer(db, { SHAPE_SNAPSHOT_PAGE_ROWS: '10', SHAPE_SNAPSHOT_READ_AHEAD_PAGES: '1', SHAPE_SNAPSHOT_IDLE_MS: '400' });
    const headers = { Authorization: `Bearer ${await paced.token('admin')}` };
    try {
      const stream = new ShapeStream({ url: paced.shapeUrl, params: { table: 'catalog.categories' }, headers });
      try {
        const rows = await shapeOf(stream).rows;
        expect(rows.filter((row) => typeof row.slug === 'string' && row.slug.startsWith('paced-'))).toHaveLength(95);
      } finally {
        stream.unsubscribeAll();
      }

      const first = await fetch(`${paced.shapeUrl}?table=catalog.categories&offset=-1`, { headers });
      expect(first.headers.get('electric-offset')).toBe('0_1');
      const handle = first.headers.get('electric-handle')!;
      await waitUntil(async () => (await snapshotTransactions(db)) === 1, 'the snapshot to wait for its client, in its transaction');
      await waitUntil(async () => (await snapshotTransactions(db)) === 0, 'the abandoned snapshot to give its transaction up');
      const saved = await db.query('select 1 from sync.shape_handles where handle = $1', [handle]);
      expect(saved.rows).toHaveLength(0);
      const late = await fetch(`${paced.shapeUrl}?table=catalog.categories&offset=0_1&handle=${encodeURIComponent(handle)}`, { headers });
      expect(late.status).toBe(409);
    } finally {
      await paced.close();
    }
  });

  test('only SHAPE_SNAPSHOT_MAX_PACED snapshots wait for their clients; another big one is a 503 with Retry-After (nothing held in memory), a one-page one is served, and the official client gets its snapshot once a reader is free', async () => {
    const db = backend.database.db;
    await db.query(`insert into catalog.categories (name, slug) select 'Crowd ' || n, 'crowd-' || n from generate_series(1, 45) n`);
    const server = await startShapeServer(db, { SHAPE_SNAPSHOT_PAGE_ROWS: '10', SHAPE_SNAPSHOT_READ_AHEAD_PAGES: '1', SHAPE_SNAPSHOT_MAX_PACED: '1', SHAPE_SNAPSHOT_IDLE_MS: '60000' });
    const headers = { Authorization: `Bearer ${await server.token('admin')}` };
    const bodyRows = async (response: Response) => ((await response.json()) as { value?: unknown }[]).filter((message) => message.value).length;
    try {
      const total = (await db.query<{ n: number }>('select count(*)::int as n from catalog.categories')).rows[0]!.n;
      const firsts = await Promise.all([1, 2, 3].map(() => fetch(`${server.shapeUrl}?table=catalog.categories&offset=-1`, { headers })));
      expect(firsts.map((response) => response.status).sort()).toEqual([200, 503, 503]);
      for (const refused of firsts.filter((response) => response.status === 503)) {
        expect(refused.headers.get('retry-after')).toBe('2');
        expect(await refused.json()).toMatchObject({ code: 'SNAPSHOT_BUSY' });
      }
      // The paced one waits for its client in its transaction; the refused ones left none open.
      await waitUntil(async () => (await snapshotTransactions(db)) === 1, 'one paced snapshot');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await snapshotTransactions(db)).toBe(1);

      // With the reader taken, another big one is refused before its first page is built.
      const late = await fetch(`${server.shapeUrl}?table=catalog.categories&offset=-1`, { headers });
      expect(late.status).toBe(503);
      expect(await late.json()).toMatchObject({ code: 'SNAPSHOT_BUSY' });
      const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
      expect(metrics).toContain('niaga_shape_snapshots_refused_total{table="catalog.categories"} 3');

      // A snapshot of one page needs no paced reader.
      const small = await fetch(`${server.shapeUrl}?${new URLSearchParams({ table: 'catalog.categories', offset: '-1', where: "slug = 'crowd-1'" }).toString()}`, { headers });
      expect(small.status).toBe(200);
      expect(await bodyRows(small)).toBe(1);
      // Nor does one of exactly a full page.
      const tenSlugs = Array.from({ length: 10 }, (_, index) => `'crowd-${index + 1}'`).join(', ');
      const full = await fetch(`${server.shapeUrl}?${new URLSearchParams({ table: 'catalog.categories', offset: '-1', where: `slug in (${tenSlugs})` }).toString()}`, { headers });
      expect(full.status).toBe(200);
      expect(full.headers.get('electric-up-to-date')).toBe('');
      expect(await bodyRows(full)).toBe(10);

      // The official client, refused while the reader is busy, tries again and gets every row once it is free.
      const statuses: number[] = [];
      const fetchClient: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        statuses.push(response.status);
        return response;
      };
      const stream = new ShapeStream({ url: server.shapeUrl, params: { table: 'catalog.categories' }, headers, fetchClient });
      const rows = shapeOf(stream).rows;
      await waitUntil(async () => statuses.includes(503), 'the official client to be refused');
      const paced = firsts.find((response) => response.status === 200)!;
      const handle = paced.headers.get('electric-handle')!;
      let read = await bodyRows(paced);
      for (let offset = paced.headers.get('electric-offset')!; offset.startsWith('0_'); ) {
        const next = await fetch(`${server.shapeUrl}?table=catalog.categories&offset=${offset}&handle=${encodeURIComponent(handle)}`, { headers });
        expect(next.status).toBe(200);
        read += await bodyRows(next);
        offset = next.headers.get('electric-offset')!;
      }
      expect(read).toBe(total);
      expect((await rows).length).toBe(total);
      stream.unsubscribeAll();
      await waitUntil(async () => (await snapshotTransactions(db)) === 0, 'the paced snapshots to end with their last page');
    } finally {
      await server.close();
    }
  });
});
