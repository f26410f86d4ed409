import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShapeStream } from '@electric-sql/client';
import type { AccessClaims } from '@niaga/protocol';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import pg from 'pg';
import { startPgShapeBackend, type PgShapeBackend } from '../test-support/pg-shape-backend.ts';
import { shapeOf, startShapeServer } from '../test-support/shape-server.ts';
import { resolveShape } from './shape-definition.ts';
import { takeSnapshot } from './shape-log.ts';
import { parseShapeRequest } from './shape-request.ts';
import { SnapshotGoneError, SnapshotReaders } from './snapshot-pages.ts';
import { SnapshotSpool } from './snapshot-spool.ts';
import { loadTableCatalog } from './table-catalog.ts';

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

/** Snapshot readings still in their transaction (reading, or idle in it). */
const snapshotTransactions = async (db: PgShapeBackend['database']['db']) =>
  (await db.query<{ n: number }>(`select count(*)::int as n from pg_stat_activity where datname = current_database() and state <> 'idle' and query like 'fetch forward % from niaga_snapshot_rows'`)).rows[0]!.n;

/** The page files of the one spool folder under `parent`. */
const spooledFiles = (parent: string) => readdirSync(parent).flatMap((folder) => readdirSync(join(parent, folder)));

const bodyRows = async (response: Response) => ((await response.json()) as { value?: { slug: string } }[]).filter((message) => message.value).map((message) => message.value!.slug);

describe('big snapshots read whole at once, their later pages waiting on disk', () => {
  test('the transaction ends while the client has only its first page; a client back much later, after writes, gets exactly the snapshot; an abandoned one is deleted and its later page is a 409', async () => {
    const db = backend.database.db;
    await db.query(`insert into catalog.categories (name, slug) select 'Spooled ' || n, 'spooled-' || n from generate_series(1, 95) n`);
    const spoolDir = mkdtempSync(join(tmpdir(), 'niaga-spool-pg-'));
    const server = await startShapeServer(db, { SHAPE_SNAPSHOT_PAGE_ROWS: '10', SHAPE_SNAPSHOT_IDLE_MS: '4000', SHAPE_SNAPSHOT_SPOOL_DIR: spoolDir });
    const headers = { Authorization: `Bearer ${await server.token('admin')}` };
    const spooledOnly = new URLSearchParams({ table: 'catalog.categories', where: "slug like 'spooled-%'" }).toString();
    try {
      const stream = new ShapeStream({ url: server.shapeUrl, params: { table: 'catalog.categories' }, headers });
      try {
        const rows = await shapeOf(stream).rows;
        expect(rows.filter((row) => typeof row.slug === 'string' && row.slug.startsWith('spooled-'))).toHaveLength(95);
      } finally {
        stream.unsubscribeAll();
      }

      const first = await fetch(`${server.shapeUrl}?${spooledOnly}&offset=-1`, { headers });
      expect(first.headers.get('electric-offset')).toBe('0_1');
      const handle = first.headers.get('electric-handle')!;
      const slugs = await bodyRows(first);
      // Read whole at once: no transaction waits for the client, and its nine later pages are files.
      await waitUntil(async () => (await snapshotTransactions(db)) === 0 && spooledFiles(spoolDir).length === 9, 'the snapshot to be read whole');
      await db.query(`update catalog.categories set name = 'Renamed' where slug like 'spooled-%'`);
      await db.query(`insert into catalog.categories (name, slug) values ('Later', 'spooled-later')`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      let offset = first.headers.get('electric-offset')!;
      while (offset.startsWith('0_')) {
        const next = await fetch(`${server.shapeUrl}?${spooledOnly}&offset=${offset}&handle=${encodeURIComponent(handle)}`, { headers });
        expect(next.status).toBe(200);
        const text = await next.text();
        expect(next.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
        expect(text).not.toContain('Renamed');
        slugs.push(...(JSON.parse(text) as { value?: { slug: string } }[]).filter((message) => message.value).map((message) => message.value!.slug));
        offset = next.headers.get('electric-offset')!;
      }
      expect(slugs.sort()).toEqual(Array.from({ length: 95 }, (_, index) => `spooled-${index + 1}`).sort());
      // The writes come after the snapshot, in the log (once captured).
      const after: { value?: { slug: string; name: string }; headers: { operation?: string } }[] = [];
      await waitUntil(async () => {
        const changes = await fetch(`${server.shapeUrl}?${spooledOnly}&offset=${offset}&handle=${encodeURIComponent(handle)}`, { headers });
        after.push(...((await changes.json()) as typeof after));
        offset = changes.headers.get('electric-offset')!;
        return after.filter((message) => message.headers.operation).length >= 96;
      }, 'the writes to be captured');
      expect(after.filter((message) => message.headers.operation === 'update')).toHaveLength(95);
      expect(after.find((message) => message.headers.operation === 'insert')?.value?.slug).toBe('spooled-later');
      await waitUntil(async () => spooledFiles(spoolDir).length === 0, 'the delivered pages to be deleted');

      const abandoned = await fetch(`${server.shapeUrl}?${spooledOnly}&offset=-1`, { headers });
      const abandonedHandle = abandoned.headers.get('electric-handle')!;
      await waitUntil(async () => spooledFiles(spoolDir).length === 9, 'the abandoned snapshot to be read whole');
      await waitUntil(async () => spooledFiles(spoolDir).length === 0, 'the abandoned snapshot to be deleted', 15_000);
      const late = await fetch(`${server.shapeUrl}?${spooledOnly}&offset=0_1&handle=${encodeURIComponent(abandonedHandle)}`, { headers });
      expect(late.status).toBe(409);
    } finally {
      await server.close();
    }
    expect(readdirSync(spoolDir)).toEqual([]); // the server's spool folder goes with it
  });

  test('with the spool more than half full a big snapshot is a 503 with Retry-After, a one-page one is served, and the official client gets its snapshot once the pages are downloaded', async () => {
    const db = backend.database.db;
    // 1,500 rows of ~470 bytes in pages of 100: the 14 later full pages (and the empty last) take ~0.66 MB of a 1 MB spool.
    await db.query(`insert into catalog.categories (name, slug) select repeat('n', 100), 'bulk-' || n from generate_series(1, 1500) n`);
    const spoolDir = mkdtempSync(join(tmpdir(), 'niaga-spool-pg-'));
    const server = await startShapeServer(db, { SHAPE_SNAPSHOT_PAGE_ROWS: '100', SHAPE_SNAPSHOT_SPOOL_MAX_MB: '1', SHAPE_SNAPSHOT_SPOOL_DIR: spoolDir });
    const headers = { Authorization: `Bearer ${await server.token('admin')}` };
    const bulk = (where = "slug like 'bulk-%'") => new URLSearchParams({ table: 'catalog.categories', where }).toString();
    try {
      const held = await fetch(`${server.shapeUrl}?${bulk()}&offset=-1`, { headers });
      expect(held.status).toBe(200);
      await waitUntil(async () => spooledFiles(spoolDir).length === 15, 'the first snapshot to be spooled');

      const refused = await fetch(`${server.shapeUrl}?${bulk()}&offset=-1`, { headers });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('2');
      const problem = (await refused.json()) as { code: string; message: string };
      expect(problem.code).toBe('SNAPSHOT_BUSY');
      expect(problem.message).toContain('SHAPE_SNAPSHOT_SPOOL_MAX_MB');
      const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
      expect(metrics).toContain('niaga_shape_snapshots_refused_total{table="catalog.categories"} 1');
      const spooledBytes = Number(/^niaga_shape_snapshot_spool_bytes (\d+)$/m.exec(metrics)?.[1]);
      expect(spooledBytes).toBeGreaterThan(512 * 1024);
      expect(spooledBytes).toBeLessThanOrEqual(1024 * 1024);

      // A snapshot of one page needs no spool.
      const small = await fetch(`${server.shapeUrl}?${bulk("slug = 'bulk-1'")}&offset=-1`, { headers });
      expect(small.status).toBe(200);
      expect(await bodyRows(small)).toEqual(['bulk-1']);

      // The official client, refused while the spool is full, tries again and gets every row once the first client has its pages.
      const statuses: number[] = [];
      const fetchClient: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        statuses.push(response.status);
        return response;
      };
      const stream = new ShapeStream({ url: server.shapeUrl, params: { table: 'catalog.categories', where: "slug like 'bulk-%'" }, headers, fetchClient });
      const rows = shapeOf(stream).rows;
      await waitUntil(async () => statuses.includes(503), 'the official client to be refused');
      const handle = held.headers.get('electric-handle')!;
      let read = (await bodyRows(held)).length;
      for (let offset = held.headers.get('electric-offset')!; offset.startsWith('0_'); ) {
        const next = await fetch(`${server.shapeUrl}?${bulk()}&offset=${offset}&handle=${encodeURIComponent(handle)}`, { headers });
        expect(next.status).toBe(200);
        read += (await bodyRows(next)).length;
        offset = next.headers.get('electric-offset')!;
      }
      expect(read).toBe(1500);
      expect((await rows).length).toBe(1500);
      stream.unsubscribeAll();
      await waitUntil(async () => spooledFiles(spoolDir).length === 0, 'every page to be deleted once delivered');
      expect(await (await fetch(`${server.baseUrl}/metrics`)).text()).toMatch(/^niaga_shape_snapshot_spool_bytes 0$/m);
    } finally {
      await server.close();
      await db.query(`delete from catalog.categories where slug like 'bulk-%'`);
    }
  });

  test("a snapshot larger than the whole spool is served at its client's pace, its reader holding its place (another big one is refused, a one-page one served); given up, it stops", async () => {
    const db = backend.database.db;
    await db.query(`insert into catalog.categories (name, slug) select 'Crowd ' || n, 'crowd-' || n from generate_series(1, 45) n`);
    const catalog = await loadTableCatalog(db, ['catalog.categories']);
    const admin: AccessClaims = { sub: randomUUID(), sid: randomUUID(), role: 'admin', warehouse_id: null, territory_id: null, agent_id: null, customer_id: null };
    const shape = (where: string) => resolveShape(parseShapeRequest({ table: 'catalog.categories', offset: '-1', where }), admin, catalog);
    const crowd = shape("slug like 'crowd-%'");
    const spool = await SnapshotSpool.create(mkdtempSync(join(tmpdir(), 'niaga-spool-pg-')), 1); // no page fits
    const readers = new SnapshotReaders(1);
    const handleSaved = async (handle: string) => (await db.query('select 1 from sync.shape_handles where handle = $1', [handle])).rows.length === 1;
    const slugsOf = (body: string) => (JSON.parse(`[${body}]`) as { value: { slug: string } }[]).map((message) => message.value.slug);
    try {
      // Pages of 10: the first, then two later ones (the most a reader may hold past the budget); the third waits for room.
      const big = await takeSnapshot(db, crowd, { pageRows: 10, spool, readers });
      await waitUntil(async () => big.pages.length === 3 && (await snapshotTransactions(db)) === 1, 'the reader to wait for room');
      expect(readers.size).toBe(1);
      await expect(takeSnapshot(db, crowd, { pageRows: 10, spool, readers })).rejects.toThrow('SHAPE_SNAPSHOT_MAX_READERS');
      const small = await takeSnapshot(db, shape("slug = 'crowd-1'"), { pageRows: 10, spool, readers });
      expect(small.first).toMatchObject({ rows: 1, last: true });

      const slugs = slugsOf(big.first.body);
      for (let index = 1; ; index++) {
        const page = await big.pages.page(index); // each asked for as a client does, after the one before
        if (!page) break;
        slugs.push(...('body' in page ? slugsOf(page.body) : page.bytes > 0 ? slugsOf(readFileSync(page.file, 'utf8')) : []));
      }
      expect(slugs.sort()).toEqual(Array.from({ length: 45 }, (_, index) => `crowd-${index + 1}`).sort());
      await waitUntil(async () => readers.size === 0 && (await snapshotTransactions(db)) === 0, 'the reader to finish');
      expect(await handleSaved(big.handle.handle)).toBe(true);
      big.pages.fail(new SnapshotGoneError('delivered')); // as the route drops a snapshot once its last page is asked for
      expect(spool.usedBytes).toBe(0);

      const abandoned = await takeSnapshot(db, crowd, { pageRows: 10, spool, readers });
      await waitUntil(async () => abandoned.pages.length === 3, 'the second reader to wait for room');
      abandoned.pages.fail(new SnapshotGoneError('dropped'));
      await waitUntil(async () => readers.size === 0 && (await snapshotTransactions(db)) === 0, 'the given-up reader to stop');
      expect(await handleSaved(abandoned.handle.handle)).toBe(false);
      await waitUntil(async () => spool.usedBytes === 0, 'its pages to be deleted');
    } finally {
      await spool.close();
    }
  });
});
