import { ShapeStream } from '@electric-sql/client';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startPgShapeBackend, type PgShapeBackend } from '../test-support/pg-shape-backend.ts';
import { shapeOf, startShapeServer } from '../test-support/shape-server.ts';
import { closeBackend, sleep, waitFor } from '../test-support/shape-test-kit.ts';

let backend: PgShapeBackend;

beforeAll(async () => {
  backend = await startPgShapeBackend();
}, 60_000);
afterAll(async () => {
  await closeBackend(backend);
});

function countingFetch(snapshots: number[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    if (url.searchParams.get('offset') === '-1') snapshots.push(Date.now());
    return fetch(input, init);
  };
}

test('a truncate with nothing logged after it makes its clients refetch once, not in a loop', async () => {
  const db = backend.database.db;
  await db.query(`insert into agents.territories (code, name) values ('QT-1', 'Quiet')`);
  const snapshots: number[] = [];
  const stream = new ShapeStream({
    url: backend.server.shapeUrl,
    params: { table: 'agents.territories', where: "code like 'QT-%'" },
    headers: { Authorization: `Bearer ${await backend.server.token('admin')}` },
    fetchClient: countingFetch(snapshots),
  });
  const shape = shapeOf(stream);
  try {
    expect((await shape.rows).map((row) => row.code)).toEqual(['QT-1']);
    await db.query('truncate agents.territories cascade');
    await waitFor(() => shape.currentRows.length === 0, 'the refetch after the truncate');
    await backend.logCaughtUp();
    await sleep(500);
    const settled = snapshots.length;
    await sleep(1000);
    expect(settled).toBeLessThanOrEqual(3);
    expect(snapshots.length).toBe(settled);
    await db.query(`insert into agents.territories (code, name) values ('QT-2', 'After')`);
    await waitFor(() => shape.currentRows.length === 1, 'the row written after the truncate');
    expect(shape.currentRows.map((row) => row.code)).toEqual(['QT-2']);
  } finally {
    stream.unsubscribeAll();
  }
}, 30_000);

test('an instance that was not listening when a table was truncated still retires its handles once it listens again', async () => {
  const db = backend.database.db;
  await db.query(`insert into agents.territories (code, name) values ('LT-1', 'Before')`);
  const second = await startShapeServer(db);
  const stream = new ShapeStream({
    url: second.shapeUrl,
    params: { table: 'agents.territories', where: "code like 'LT-%'" },
    headers: { Authorization: `Bearer ${await second.token('admin')}` },
  });
  const shape = shapeOf(stream);
  try {
    expect((await shape.rows).map((row) => row.code)).toEqual(['LT-1']);
    const { rows: handles } = await db.query<{ handle: string }>(`select handle from sync.shape_handles where table_name = 'agents.territories'`);
    // Every change feed's LISTEN connection goes, and the truncate is logged before they are back (a second later).
    await db.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = 'niaga-change-feed'`);
    await db.query('truncate agents.territories cascade');
    await waitFor(async () => (await db.query('select 1 from sync.shape_handles where handle = any($1)', [handles.map((row) => row.handle)])).rows.length === 0, 'the truncate to be logged');
    await db.query(`insert into agents.territories (code, name) values ('LT-2', 'After')`);
    await waitFor(() => shape.currentRows.some((row) => row.code === 'LT-2'), 'the row written after the truncate', 20_000);
    // The truncated row goes too: the instance, listening again, learned of the truncate and the client refetched.
    await waitFor(() => shape.currentRows.length === 1, () => `only LT-2, not ${JSON.stringify(shape.currentRows.map((row) => row.code))}`, 5000);
  } finally {
    stream.unsubscribeAll();
    await second.close();
  }
}, 45_000);
