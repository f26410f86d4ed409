/**
 * ChangeFeed.offerAppended: the capture leader's appends handed to the feed of the same process.
 * The database here has no capture triggers, so the log changes only as each test writes it, and
 * rows offered but never inserted show whether the feed took them from the offer or read the log.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { createPgliteExecutor, type PgliteExecutor } from '@niaga/db/pglite';
import { migrate } from '@niaga/migrations';
import { waitFor } from '../test-support/shape-test-kit.ts';
import { ChangeFeed, type EntryRow } from './change-feed.ts';
import { resolveShape, type ShapeDefinition } from './shape-definition.ts';
import { takeSnapshot, type ShapeHandle } from './shape-log.ts';
import { parseShapeRequest } from './shape-request.ts';
import { loadTableCatalog } from './table-catalog.ts';

let db: PgliteExecutor;
let feed: ChangeFeed;
let shape: ShapeDefinition;
let handle: ShapeHandle;
/** The next log position a test writes at. */
let lsn = 1000n;

beforeAll(async () => {
  db = await createPgliteExecutor();
  await migrate(db);
  const admin = { sub: 'u', sid: 's', role: 'admin', warehouse_id: null, territory_id: null, agent_id: null, customer_id: null } as const;
  shape = resolveShape(parseShapeRequest({ table: 'catalog.products', offset: '-1' }), admin, await loadTableCatalog(db, ['catalog.products']));
  handle = (await takeSnapshot(db, shape)).handle;
}, 60_000);
afterAll(async () => {
  await db.close();
});
beforeEach(async () => {
  await feed?.close();
  feed = new ChangeFeed(db);
  await feed.start();
  lsn = feed.latestLsn + 1000n;
});

/** A one-row transaction at the next position, inserting a product named `sku`. */
function transaction(sku: string): EntryRow {
  return transactionOf([sku])[0]!;
}

/** A transaction at the next position inserting a product for each sku. */
function transactionOf(skus: readonly string[]): EntryRow[] {
  lsn += 10n;
  // An xid far beyond the handle's snapshot: never one it saw.
  return skus.map((sku, index) => ({ lsn: lsn.toString(), op_index: index, xid: '900000000', table_name: 'catalog.products', operation: 'insert', old_row: null, new_row: { id: randomUUID(), sku, name: sku } }));
}

async function insertIntoLog(...rows: EntryRow[]): Promise<void> {
  for (const row of rows) {
    await db.query('insert into sync.change_log (lsn, op_index, xid, table_name, operation, old_row, new_row) values ($1, $2, $3, $4, $5, $6, $7)', [
      row.lsn, row.op_index, row.xid, row.table_name, row.operation, null, JSON.stringify(row.new_row),
    ]);
  }
}

/** The skus of the products the feed's tail holds after `after`, in log order. */
function skusAfter(after: bigint): string[] {
  return feed.readTail(shape, handle, after)!.messages.map((message) => (JSON.parse(message) as { value: { sku: string } }).value.sku);
}

const atPosition = (row: EntryRow) => () => feed.latestLsn === BigInt(row.lsn);

test('offered rows that follow on from what the feed holds are taken in without reading the log', async () => {
  const start = feed.latestLsn;
  const offered = transaction('offered only'); // never inserted: only the offer has it
  feed.offerAppended({ previousMax: start, rows: [offered] });
  await waitFor(atPosition(offered), 'the feed to take the offered rows');
  expect(skusAfter(start)).toEqual(['offered only']);
});

test('a notification of a position the feed already holds reads nothing; a later one reads the log', async () => {
  const start = feed.latestLsn;
  const offered = transaction('offered');
  feed.offerAppended({ previousMax: start, rows: [offered] });
  await waitFor(atPosition(offered), 'the feed to take the offered rows');
  const logged = transaction('logged');
  await insertIntoLog(logged);

  feed.notify(BigInt(offered.lsn));
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(feed.latestLsn).toBe(BigInt(offered.lsn));

  feed.notify(BigInt(logged.lsn));
  await waitFor(atPosition(logged), 'the feed to read the log');
  expect(skusAfter(start)).toEqual(['offered', 'logged']);
});

test('a gap before the offered rows is read from the log first; rows the feed read meanwhile are not taken twice', async () => {
  const start = feed.latestLsn;
  const first = transaction('first, logged by another appender');
  await insertIntoLog(first);
  const second = transaction('second, offered');
  feed.offerAppended({ previousMax: BigInt(first.lsn), rows: [second] });
  await waitFor(atPosition(second), 'the feed to fill the gap, then take the offer');
  expect(skusAfter(start)).toEqual(['first, logged by another appender', 'second, offered']);

  // The feed reads two transactions from the log; then an append that held them and one more is offered.
  const third = transaction('third');
  const fourth = transaction('fourth');
  await insertIntoLog(third, fourth);
  feed.notify(BigInt(fourth.lsn));
  await waitFor(atPosition(fourth), 'the feed to read the log');
  const fifth = transaction('fifth, offered only');
  feed.offerAppended({ previousMax: BigInt(second.lsn), rows: [third, fourth, fifth] });
  await waitFor(atPosition(fifth), 'the feed to take the rest of the offer');
  expect(skusAfter(start)).toEqual(['first, logged by another appender', 'second, offered', 'third', 'fourth', 'fifth, offered only']);
});

test('a notification that names no position (compaction, a reconnect) always reads the log', async () => {
  const start = feed.latestLsn;
  const logged = transaction('logged');
  await insertIntoLog(logged);
  feed.notify();
  await waitFor(atPosition(logged), 'the feed to read the log');
  expect(skusAfter(start)).toEqual(['logged']);
});

test('a big offer is taken in about fetchBatch rows at a time, never half a transaction; a request woken in between sees whole ones', async () => {
  await feed.close();
  feed = new ChangeFeed(db, { fetchBatch: 2 });
  await feed.start();
  const start = feed.latestLsn;
  const rows = [...transactionOf(['a']), ...transactionOf(['b1', 'b2', 'b3']), ...transactionOf(['c'])];
  const woken = feed.waitFor(shape, handle, start);
  feed.offerAppended({ previousMax: start, rows });
  await woken.changed;
  // The first piece: a, then all of b's transaction (past fetchBatch rather than split); c comes next.
  expect(skusAfter(start)).toEqual(['a', 'b1', 'b2', 'b3']);
  await waitFor(atPosition(rows.at(-1)!), 'the feed to take the rest');
  expect(skusAfter(start)).toEqual(['a', 'b1', 'b2', 'b3', 'c']);
});

test('offers that cannot follow on from the log (their rows gone from it) are dropped after one read, not read for ever', async () => {
  const start = feed.latestLsn;
  lsn += 10n; // a position the log never held
  const orphan = transaction('gone from the log');
  let reads = 0;
  const query = db.query.bind(db);
  db.query = ((...args: Parameters<typeof db.query>) => {
    if (String(args[0]).includes('from sync.change_log c where c.lsn >')) reads += 1;
    return query(...args);
  });
  try {
    feed.offerAppended({ previousMax: start + 5n, rows: [orphan] });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reads).toBeLessThanOrEqual(2);
    expect(feed.latestLsn).toBe(start);
    // The feed goes on as before: the next append that follows on is taken.
    const next = transaction('next');
    feed.offerAppended({ previousMax: start, rows: [next] });
    await waitFor(atPosition(next), 'the feed to take the next offer');
    expect(skusAfter(start)).toEqual(['next']);
  } finally {
    db.query = query;
  }
});
