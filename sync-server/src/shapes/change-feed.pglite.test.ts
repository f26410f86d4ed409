import { afterAll, beforeAll, expect, test } from 'vitest';
import type { PgliteExecutor } from '@niaga/db/pglite';
import { waitFor } from '../test-support/shape-test-kit.ts';
import { ChangeFeed } from './change-feed.ts';
import { resolveShape } from './shape-definition.ts';
import { takeSnapshot } from './shape-log.ts';
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
  expect(reads.flatMap((read) => read.messages.map((message) => message.value.sku))).toEqual(['T0-a', 'T0-b', 'T1-a', 'T1-b', 'T2-a', 'T2-b', 'T3-a', 'T3-b']);
});
