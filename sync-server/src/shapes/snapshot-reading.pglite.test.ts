import { afterAll, beforeAll, expect, test } from 'vitest';
import type { PgliteExecutor } from '@niaga/db/pglite';
import { capturedPglite } from '../test-support/shape-server.ts';
import type { ShapeDefinition } from './shape-definition.ts';
import { takeSnapshot } from './shape-log.ts';
import { PacedReaders, SnapshotGoneError } from './snapshot-pages.ts';
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

const settled = () => new Promise((resolve) => setTimeout(resolve, 50));

test('PGlite (one connection for everything) reads a snapshot whole at once, whatever the pacing, and takes no paced place', async () => {
  const pacedReaders = new PacedReaders(1);
  const snapshot = await takeSnapshot(db, shape, { pageRows: 1, pacing: { readAhead: 1, idleMs: 60_000 }, pacedReaders });
  expect(pacedReaders.size).toBe(0);
  await settled();
  expect(snapshot.pages.ended).toBe(true);
  expect(snapshot.pages.length).toBe(7); // six full pages and the empty last one, none asked for
});

test('a snapshot given up while its last page is being read ends quietly (no unhandled failure)', async () => {
  // A full page, then the last: the first is handed over, the last is being read when the stream is given up.
  const snapshot = await takeSnapshot(db, shape, { pageRows: 4 });
  snapshot.pages.fail(new SnapshotGoneError('dropped'));
  await settled();
  expect(snapshot.pages.ended).toBe(true);
  await expect(snapshot.pages.page(1)).rejects.toBeInstanceOf(SnapshotGoneError);
});
