/**
 * The shape transport over the embedded server, with a slow store: the cursor handed over with
 * each batch is where that batch ends, so a device that saves it and stops gets exactly the later
 * batches when it starts again, in either live mode.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PgliteExecutor } from '@niaga/db/pglite';
import { capturedPglite, startShapeServer, type ShapeServer } from '@niaga/sync-server/test-support';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startShapeTransport } from './shape-transport.ts';
import { until } from './test-support/test-helpers.ts';
import type { ShapeCursor, ShapeMessage } from './transaction-aligner.ts';

let db: PgliteExecutor;
let server: ShapeServer;
const warehouseID = randomUUID();

beforeAll(async () => {
  db = await capturedPglite();
  await db.query(`insert into inventory.warehouses (id, code, name) values ($1, 'WH-1', 'Main')`, [warehouseID]);
  server = await startShapeServer(db);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await db?.close();
});

interface Handled {
  readonly changeLsns: readonly bigint[];
  readonly cursor: ShapeCursor;
}

/** Live requests the server holds (niaga_shape_live_requests). */
async function liveRequests(): Promise<number> {
  const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
  return Number(/^niaga_shape_live_requests (\d+)/m.exec(text)?.[1] ?? 0);
}

const lsnOf = (cursor: ShapeCursor) => BigInt(cursor.offset.split('_')[0]!);

/** Every batch the transport hands over for inventory.warehouses, each taking `handleMs` to handle. */
async function transportFrom(live: 'sse' | 'long-polls', handleMs: number, cursor?: ShapeCursor) {
  const token = await server.token('warehouse', { warehouse_id: warehouseID, sub: randomUUID() });
  const handled: Handled[] = [];
  const transport = startShapeTransport({
    serverURL: server.baseUrl,
    tables: ['inventory.warehouses'],
    session: { authorization: () => `Bearer ${token}`, refresh: () => Promise.resolve() },
    fetch,
    liveSse: live === 'sse',
    livePokes: false,
    cursors: new Map(cursor ? [['inventory.warehouses', cursor]] : []),
    onBatch: async (_table, messages: readonly ShapeMessage[], at) => {
      handled.push({ changeLsns: messages.flatMap((message) => (typeof message.headers.lsn === 'string' ? [BigInt(message.headers.lsn)] : [])), cursor: at });
      await sleep(handleMs);
    },
    onSchema: () => {},
    onResponse: () => {},
    onTransientError: () => {},
    onFatal: (_table, error) => {
      throw error;
    },
  });
  return { handled, stop: () => transport.stop() };
}

test.each(['sse', 'long-polls'] as const)('each batch comes with a cursor at its own end, also while later batches wait behind a slow store (live by %s)', async (live) => {
  const device = await transportFrom(live, 150);
  try {
    await until(() => device.handled.length, (count) => count > 0, 'the snapshot');
    await until(liveRequests, (count) => count > 0, 'the live request');
    // Commits a little apart, each its own batch, arriving while the store still handles the one before.
    for (let i = 1; i <= 6; i++) {
      await db.query('update inventory.warehouses set name = $2 where id = $1', [warehouseID, `Main ${i}`]);
      await sleep(30);
    }
    const changes = () => device.handled.flatMap((batch) => batch.changeLsns);
    await until(changes, (lsns) => lsns.length === 6, 'the six changes');
    const batches = device.handled;
    expect(batches.filter((batch) => batch.changeLsns.length > 0).length).toBeGreaterThan(1);
    for (const [index, batch] of batches.entries()) {
      for (const lsn of batch.changeLsns) expect(lsn).toBeLessThanOrEqual(lsnOf(batch.cursor));
      for (const later of batches.slice(index + 1)) {
        for (const lsn of later.changeLsns) expect(lsn, `batch ${index}'s cursor ${batch.cursor.offset} is past a later batch's change`).toBeGreaterThan(lsnOf(batch.cursor));
      }
    }

    // A device that saved the cursor of the first live batch and stopped gets the other five.
    const first = batches.findIndex((batch) => batch.changeLsns.length > 0);
    const resumed = await transportFrom(live, 0, batches[first]!.cursor);
    try {
      const expected = batches.slice(first + 1).flatMap((batch) => batch.changeLsns);
      await until(() => resumed.handled.flatMap((batch) => batch.changeLsns), (lsns) => lsns.length >= expected.length, 'the later changes');
      expect(resumed.handled.flatMap((batch) => batch.changeLsns)).toEqual(expected);
    } finally {
      resumed.stop();
    }
  } finally {
    device.stop();
  }
}, 60_000);
