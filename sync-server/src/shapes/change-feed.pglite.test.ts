import { afterAll, beforeAll, expect, test } from 'vitest';
import type { PgliteExecutor } from '@niaga/db/pglite';
import { waitFor } from '../test-support/shape-test-kit.ts';
import { ChangeFeed } from './change-feed.ts';
import { resolveShape } from './shape-definition.ts';
import { readShapeLog, takeSnapshot } from './shape-log.ts';
import { parseShapeRequest } from './shape-request.ts';
import { loadTableCatalog } from './table-catalog.ts';
import { capturedPglite } from '../test-support/shape-server.ts';

let db: PgliteExecutor;
let feed: ChangeFeed;

beforeAll(async () => {
  db = await capturedPglite();
  feed = new ChangeFeed(db, { maxMessagesPerRead: 3 });
  await feed.start();
}, 60_000);
afterAll(async () => {
  await feed.close();
  await db.close();
});

test('a live read far behind stops after the transaction that reaches the message limit, and the next read goes on from there', async () => {
  const admin = { sub: 'u', sid: 's', role: 'admin', warehouse_id: null, territory_id: null, agent_id: null, customer_id: null } as const;
  const shape = resolveShape(parseShapeRequest({ table: 'catalog.products', offset: '-1' }), admin, await loadTableCatalog(db, ['catalog.products']));
  const { handle } = await takeSnapshot(db, shape);
  for (let transaction = 0; transaction < 4; transaction++) {
    await db.exec(`insert into catalog.products (sku, name, price_minor) values ('T${transaction}-a', 'a', 1), ('T${transaction}-b', 'b', 1)`);
  }
  await waitFor(() => feed.latestLsn > handle.snapshotLsn + 3n, 'the feed to see four transactions');

  const reads = [];
  let after = handle.snapshotLsn;
  for (;;) {
    const read = feed.readTail(shape, handle, after)!;
    reads.push(read);
    if (read.upToDate) break;
    after = read.throughLsn;
  }
  expect(reads.map((read) => read.messages.length)).toEqual([4, 4]);
  expect(reads.map((read) => read.upToDate)).toEqual([false, true]);
  expect(reads.flatMap((read) => read.messages.map((message) => (JSON.parse(message) as { value: { sku: string } }).value.sku))).toEqual(['T0-a', 'T0-b', 'T1-a', 'T1-b', 'T2-a', 'T2-b', 'T3-a', 'T3-b']);
});

test("a waiting request is woken only by its shape's changes; reads from the shape's live log and, behind where it starts, from the tail agree with the database", async () => {
  const admin = { sub: 'u', sid: 's', role: 'admin', warehouse_id: null, territory_id: null, agent_id: null, customer_id: null } as const;
  const catalog = await loadTableCatalog(db, ['catalog.products']);
  const shape = resolveShape(parseShapeRequest({ table: 'catalog.products', offset: '-1', where: "sku LIKE 'L-%'" }), admin, catalog);
  const elsewhere = resolveShape(parseShapeRequest({ table: 'catalog.products', offset: '-1', where: "sku = 'nothing'" }), admin, catalog);
  const { handle } = await takeSnapshot(db, shape);
  await db.exec(`insert into catalog.products (sku, name, price_minor) values ('L-0', 'before the log', 1)`);
  await waitFor(() => feed.latestLsn > handle.snapshotLsn, 'the feed to see the first insert');
  const logStart = feed.latestLsn;

  const waiter = feed.waitFor(shape, handle, logStart);
  const idle = feed.waitFor(elsewhere, handle, logStart);
  let idleWoken = false;
  void idle.changed.then(() => (idleWoken = true));
  await db.exec(`insert into catalog.products (sku, name, price_minor) values ('L-1', 'in the log', 1), ('other', 'not in the shape', 1)`);
  await db.exec(`update catalog.products set name = 'renamed' where sku = 'L-0'`);
  await waiter.changed;
  await waitFor(() => feed.latestLsn > logStart + 1n, 'the feed to see both transactions');
  idle.cancel();
  expect(idleWoken).toBe(false);

  const skus = (messages: readonly string[]) => messages.map((message) => (JSON.parse(message) as { value: { sku?: string; name?: string } }).value);
  const fromLog = feed.readTail(shape, handle, logStart)!;
  const fromTail = feed.readTail(shape, handle, handle.snapshotLsn)!;
  expect(skus(fromLog.messages).map((value) => value.sku ?? value.name)).toEqual(['L-1', 'renamed']);
  expect(fromLog.messages).toEqual((await readShapeLog(db, shape, handle, logStart)).messages);
  expect(fromTail.messages).toEqual((await readShapeLog(db, shape, handle, handle.snapshotLsn)).messages);
  expect(skus(fromTail.messages).map((value) => value.sku ?? value.name)).toEqual(['L-0', 'L-1', 'renamed']);
  expect(feed.liveShapeCount).toBeGreaterThanOrEqual(2);
});

test("a shape's live log reaches back further than the tail: a client behind the tail but not behind its shape's log still reads from memory", async () => {
  const small = new ChangeFeed(db, { maxTailEntries: 2 });
  await small.start();
  try {
    const admin = { sub: 'u', sid: 's', role: 'admin', warehouse_id: null, territory_id: null, agent_id: null, customer_id: null } as const;
    const catalog = await loadTableCatalog(db, ['catalog.products']);
    const shape = resolveShape(parseShapeRequest({ table: 'catalog.products', offset: '-1', where: "sku LIKE 'B-%'" }), admin, catalog);
    const other = resolveShape(parseShapeRequest({ table: 'catalog.products', offset: '-1', where: "sku LIKE 'none-%'" }), admin, catalog);
    const { handle } = await takeSnapshot(db, shape);
    await waitFor(() => small.latestLsn >= handle.snapshotLsn, 'the feed to reach the snapshot');
    const start = small.latestLsn;
    small.waitFor(shape, handle, start).cancel(); // opens the shape's live log
    for (let transaction = 0; transaction < 4; transaction++) {
      await db.exec(`insert into catalog.products (sku, name, price_minor) values ('B-${transaction}', 'b', 1), ('X-${transaction}', 'x', 1)`);
    }
    await waitFor(() => small.latestLsn >= start + 4n, 'the feed to see four transactions');
    const read = small.readTail(shape, handle, start)!;
    expect(read).toBeDefined();
    expect(read.messages.map((message) => (JSON.parse(message) as { value: { sku: string } }).value.sku)).toEqual(['B-0', 'B-1', 'B-2', 'B-3']);
    expect(read.messages).toEqual((await readShapeLog(db, shape, handle, start)).messages);
    // A shape without a live log that far back reads the database.
    expect(small.readTail(other, handle, start)).toBeUndefined();
  } finally {
    await small.close();
  }
});

test('once all live logs together hold more than maxLiveLogMessages, they reach back no further than the tail', async () => {
  const small = new ChangeFeed(db, { maxTailEntries: 2, maxLiveLogMessages: 1 });
  await small.start();
  try {
    const admin = { sub: 'u', sid: 's', role: 'admin', warehouse_id: null, territory_id: null, agent_id: null, customer_id: null } as const;
    const shape = resolveShape(parseShapeRequest({ table: 'catalog.products', offset: '-1', where: "sku LIKE 'C-%'" }), admin, await loadTableCatalog(db, ['catalog.products']));
    const { handle } = await takeSnapshot(db, shape);
    await waitFor(() => small.latestLsn >= handle.snapshotLsn, 'the feed to reach the snapshot');
    const start = small.latestLsn;
    small.waitFor(shape, handle, start).cancel();
    for (let transaction = 0; transaction < 4; transaction++) {
      await db.exec(`insert into catalog.products (sku, name, price_minor) values ('C-${transaction}', 'c', 1)`);
    }
    await waitFor(() => small.latestLsn >= start + 4n, 'the feed to see four transactions');
    expect(small.readTail(shape, handle, start)).toBeUndefined(); // the database, then
    expect(small.liveShapeMessages).toBeLessThanOrEqual(2);
  } finally {
    await small.close();
  }
});
