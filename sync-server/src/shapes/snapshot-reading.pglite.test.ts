import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test, vi } from 'vitest';
import type { PgliteExecutor } from '@niaga/db/pglite';
import { capturedPglite } from '../test-support/shape-server.ts';
import type { ShapeDefinition } from './shape-definition.ts';
import { SnapshotBusyError, takeSnapshot } from './shape-log.ts';
import { SnapshotGoneError, SnapshotReaders, type SnapshotPage } from './snapshot-pages.ts';
import { SnapshotSpool } from './snapshot-spool.ts';
import { loadTableCatalog } from './table-catalog.ts';

let db: PgliteExecutor;
let shape: ShapeDefinition;
beforeAll(async () => {
  db = await capturedPglite();
  await db.exec(`create schema if not exists reading;
    create table reading.items (id int primary key, name text not null);
    insert into reading.items select n, 'item ' || n from generate_series(1, 6) n;`);
  const table = (await loadTableCatalog(db, ['reading.items'])).get('reading.items')!;
  shape = { table, columns: table.columns, rule: [[]], where: undefined, replica: 'default', hash: 'reading' };
}, 60_000);
afterAll(async () => db.close());

let spool: SnapshotSpool;
beforeEach(async () => {
  spool = await SnapshotSpool.create(mkdtempSync(join(tmpdir(), 'niaga-reading-test-')), 1024 * 1024);
});
afterEach(async () => spool.close());

const handleSaved = async (handle: string) => (await db.query('select 1 from sync.shape_handles where handle = $1', [handle])).rows.length === 1;
const bodyOf = (page: SnapshotPage | undefined) => (!page ? '' : 'body' in page ? page.body : readFileSync(page.file, 'utf8'));

test('the first page is handed over from memory and the later ones kept in the spool; read whole at once, they hold every row once', async () => {
  const readers = new SnapshotReaders(1);
  const snapshot = await takeSnapshot(db, shape, { pageRows: 2, spool, readers });
  expect(readers.size).toBe(0); // PGlite, one connection for everything: readers are not counted
  // Three full pages and the empty last one, none asked for yet: the three later ones on disk.
  await vi.waitFor(() => expect(snapshot.pages.ended).toBe(true), { timeout: 10_000 });
  expect(snapshot.pages.length).toBe(4);
  expect(readdirSync(spool.dir)).toHaveLength(3);
  const bodies = [snapshot.first.body];
  for (let index = 1; index < 4; index++) {
    const page = await snapshot.pages.page(index); // as a client asks: each after the one before
    expect(page && 'file' in page).toBe(true);
    bodies.push(bodyOf(page));
  }
  const ids = bodies.flatMap((body) => (JSON.parse(`[${body}]`) as { value: { id: string } }[]).map((message) => Number(message.value.id)));
  expect(ids.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(await handleSaved(snapshot.handle.handle)).toBe(true);
});

test('a snapshot given up while it is still being read ends quietly (no unhandled failure), its files deleted', async () => {
  const snapshot = await takeSnapshot(db, shape, { pageRows: 1, spool });
  snapshot.pages.fail(new SnapshotGoneError('dropped'));
  await expect(snapshot.pages.page(1)).rejects.toBeInstanceOf(SnapshotGoneError);
  // Whether the reading had ended or not, nothing of it is left once it has.
  await vi.waitFor(() => expect(spool.usedBytes).toBe(0), { timeout: 10_000 });
  await vi.waitFor(() => expect(readdirSync(spool.dir)).toHaveLength(0), { timeout: 10_000 });
});

test('a reader never waits for room on PGlite (it would hold the one connection): a snapshot larger than the spool is read whole past its budget', async () => {
  const tiny = await SnapshotSpool.create(mkdtempSync(join(tmpdir(), 'niaga-reading-test-')), 150);
  try {
    const snapshot = await takeSnapshot(db, shape, { pageRows: 1, spool: tiny });
    await vi.waitFor(() => expect(snapshot.pages.ended).toBe(true), { timeout: 10_000 });
    expect(snapshot.pages.length).toBe(7);
    expect(tiny.usedBytes).toBeGreaterThan(150);
    expect((await db.query<{ n: number }>('select 1 as n')).rows).toEqual([{ n: 1 }]);
  } finally {
    await tiny.close();
  }
});

test('with the spool more than half full a big snapshot is refused before its first page; one of a single page is still served', async () => {
  const small = await SnapshotSpool.create(mkdtempSync(join(tmpdir(), 'niaga-reading-test-')), 100);
  try {
    await small.write('x'.repeat(51));
    await expect(takeSnapshot(db, shape, { pageRows: 2, spool: small })).rejects.toBeInstanceOf(SnapshotBusyError);
    await expect(takeSnapshot(db, shape, { pageRows: 2, spool: small })).rejects.toThrow('SHAPE_SNAPSHOT_SPOOL_MAX_MB');
    const whole = await takeSnapshot(db, shape, { pageRows: 6, spool: small }); // exactly one full page
    expect(whole.first).toMatchObject({ rows: 6, last: true });
  } finally {
    await small.close();
  }
});
