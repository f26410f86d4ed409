import { ShapeStream } from '@electric-sql/client';
import type { PgliteExecutor } from '@niaga/db/pglite';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { capturedPglite, shapeOf, startShapeServer, type ShapeServer } from '../test-support/shape-server.ts';

let db: PgliteExecutor;
let server: ShapeServer;

beforeAll(async () => {
  db = await capturedPglite();
  server = await startShapeServer(db);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await db?.close();
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

test('a truncate with nothing logged after it makes its clients refetch once, not in a loop', async () => {
  await db.exec(`insert into inventory.warehouses (code, name) values ('Q-1', 'Quiet')`);
  const snapshots: number[] = [];
  const fetchClient: typeof fetch = async (input, init) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    if (url.searchParams.get('offset') === '-1') snapshots.push(Date.now());
    return fetch(input, init);
  };
  const stream = new ShapeStream({ url: server.shapeUrl, params: { table: 'inventory.warehouses' }, headers: { Authorization: `Bearer ${await server.token('admin')}` }, fetchClient });
  const shape = shapeOf(stream);
  try {
    expect((await shape.rows).map((row) => row.code)).toEqual(['Q-1']);
    await db.exec('truncate inventory.warehouses cascade');
    // Nothing else changes: the log's newest entry stays below the truncate.
    const deadline = Date.now() + 5000;
    while (shape.currentRows.length > 0 && Date.now() < deadline) await sleep(20);
    expect(shape.currentRows).toEqual([]);
    const settled = snapshots.length;
    await sleep(1000);
    // The first snapshot and the one refetch: a snapshot taken after the truncate stands past it.
    expect(settled).toBe(2);
    expect(snapshots.length).toBe(settled);
    await db.exec(`insert into inventory.warehouses (code, name) values ('Q-2', 'After')`);
    while (shape.currentRows.length === 0 && Date.now() < deadline + 5000) await sleep(20);
    expect(shape.currentRows.map((row) => row.code)).toEqual(['Q-2']);
  } finally {
    stream.unsubscribeAll();
  }
});
