import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { compactChangeLog } from '../shapes/compaction.ts';
import { syncedTables } from '../shapes/rules.ts';
import type { CaptureLogger } from './capture-logger.ts';
import { CaptureErrorCode } from './capture-error.ts';
import { appendTransactions, changeLogChannel, type AppendResult } from './log-appender.ts';
import { formatLsn } from './lsn.ts';
import { ensureCaptureSetup } from './pg-capture-setup.ts';
import { startReplicationLeader, type ReplicationLeader, type ReplicationLeaderOptions } from './replication-leader.ts';
import type { TruncateEvent } from './replication-stream.ts';

const slotName = 'niaga_capture_leader_test';
const publicationName = 'niaga_capture_leader_test';

let database: TestDatabase;
const leaders: ReplicationLeader[] = [];
const clients: pg.Client[] = [];
const errors: unknown[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await Promise.all(leaders.map((leader) => leader.stop()));
  await Promise.all(clients.map((client) => client.end().catch(() => {})));
  if (!database) return;
  // The walsender of the last leader may need a moment to let go of the slot.
  await eventually(async () => {
    await database.db.query('select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1', [slotName]);
    return true;
  });
  await database.drop();
});

function startLeader(options: Partial<ReplicationLeaderOptions> = {}): ReplicationLeader {
  const leader = startReplicationLeader({
    connectionString: database.url,
    db: database.db,
    tables: syncedTables,
    slotName,
    publicationName,
    standbyRetryMs: 200,
    retryBackoff: { initialMs: 100, maxMs: 1000 },
    slotTakeoverMs: 3000,
    heartbeatMs: 500,
    onError: (error) => errors.push(error),
    ...options,
  });
  leaders.push(leader);
  return leader;
}

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: database.url, options: '-c TimeZone=UTC' });
  await client.connect();
  clients.push(client);
  return client;
}

async function eventually<T>(probe: () => Promise<T | false | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await probe();
      if (result !== false && result !== undefined) return result;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms`, { cause: lastError });
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

interface LogRow {
  lsn: string;
  op_index: number;
  xid: string;
  table_name: string;
  operation: string;
  old_row: Record<string, string | null> | null;
  new_row: Record<string, string | null> | null;
}

async function maxLsn(): Promise<bigint> {
  const { rows } = await database.db.query<{ lsn: string }>('select coalesce(max(lsn), 0)::text as lsn from sync.change_log');
  return BigInt(rows[0]!.lsn);
}

async function logAfter(lsn: bigint): Promise<LogRow[]> {
  const { rows } = await database.db.query<LogRow>(
    `select lsn::text, op_index, xid::text, table_name, operation, old_row, new_row
       from sync.change_log where lsn > $1 order by lsn, op_index`,
    [lsn.toString()],
  );
  return rows;
}

/** Waits until every given xid is in the log after `from`; returns their rows (other transactions left out). */
async function waitForXids(from: bigint, xids: readonly string[], timeoutMs?: number): Promise<LogRow[]> {
  return eventually(async () => {
    const rows = await logAfter(from);
    const logged = new Set(rows.map((row) => row.xid));
    const wanted = new Set(xids);
    return xids.every((xid) => logged.has(xid)) ? rows.filter((row) => wanted.has(row.xid)) : false;
  }, timeoutMs);
}

/** Each transaction's xid in log order, asserting that a transaction has one lsn and an lsn one transaction. */
function transactionsOf(rows: readonly LogRow[]): { lsn: bigint; xid: string; rows: LogRow[] }[] {
  const transactions: { lsn: bigint; xid: string; rows: LogRow[] }[] = [];
  for (const row of rows) {
    const last = transactions[transactions.length - 1];
    if (last && last.lsn === BigInt(row.lsn)) {
      expect(row.xid).toBe(last.xid);
      last.rows.push(row);
    } else {
      if (last) expect(BigInt(row.lsn) > last.lsn).toBe(true);
      transactions.push({ lsn: BigInt(row.lsn), xid: row.xid, rows: [row] });
    }
  }
  for (const transaction of transactions) expect(transaction.rows.map((row) => row.op_index)).toEqual(transaction.rows.map((_, i) => i));
  expect(new Set(transactions.map((t) => t.xid)).size).toBe(transactions.length);
  return transactions;
}

/**
 * The row as the embedded trigger capture logs it (hstore(row): each column through its type's
 * output function). That is `col::text` for every type but boolean, whose cast to text says
 * 'true'/'false' where its output function says 't'/'f'.
 */
async function textRow(client: pg.Client, table: string, id: string): Promise<Record<string, string | null>> {
  const { rows } = await client.query<{ row: Record<string, string | null> }>(`select hstore_to_jsonb(hstore(t)) as row from ${table} t where id = $1`, [id]);
  return rows[0]!.row;
}

/** Each column cast with ::text, for the columns whose text the log must equal. */
async function castRow(client: pg.Client, table: string, id: string): Promise<Record<string, string | null>> {
  const { rows: columns } = await client.query<{ attname: string }>(
    `select attname from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped and atttypid <> 'bool'::regtype order by attnum`,
    [table],
  );
  const list = columns.map(({ attname }) => `"${attname}"::text as "${attname}"`).join(', ');
  const { rows } = await client.query<Record<string, string | null>>(`select ${list} from ${table} where id = $1`, [id]);
  return rows[0]!;
}

async function inTransaction<T>(client: pg.Client, fn: () => Promise<T>): Promise<{ xid: string; result: T }> {
  await client.query('begin');
  const { rows } = await client.query<{ xid: string }>('select pg_current_xact_id()::text as xid');
  const result = await fn();
  await client.query('commit');
  return { xid: rows[0]!.xid, result };
}

let skuCounter = 0;
async function insertProduct(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ id: string }>(`insert into catalog.products (sku, name, price_minor) values ($1, 'Thing', 100) returning id`, [
    `SKU-${++skuCounter}`,
  ]);
  return rows[0]!.id;
}

async function waitUntilStreaming(leader: ReplicationLeader): Promise<void> {
  await eventually(async () => leader.isStreaming());
}

test('setup is idempotent and leaves every synced table with REPLICA IDENTITY FULL', async () => {
  const options = { tables: syncedTables, slotName, publicationName };
  const first = await ensureCaptureSetup(database.db, options);
  expect(first.publication).toBe('created');
  expect(first.slotCreated).toBe(true);
  const second = await ensureCaptureSetup(database.db, options);
  expect(second).toEqual({ replicaIdentityChanged: [], publication: 'unchanged', slotCreated: false });
  const { rows } = await database.db.query<{ name: string }>(
    `select schemaname || '.' || tablename as name from pg_publication_tables where pubname = $1 order by 1`,
    [publicationName],
  );
  expect(rows.map((row) => row.name)).toEqual([...syncedTables].sort());
  const notFull = await database.db.query(
    `select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname || '.' || c.relname = any($1::text[]) and c.relreplident <> 'f'`,
    [syncedTables],
  );
  expect(notFull.rows).toEqual([]);
});

describe('with one leader streaming', () => {
  let leader: ReplicationLeader;
  const truncates: TruncateEvent[] = [];
  const appends: AppendResult[] = [];
  const maxBatchChanges = 3;

  beforeAll(async () => {
    await database.db.query('create extension if not exists hstore');
    leader = startLeader({ onTruncate: (event) => void truncates.push(event), maxBatchChanges });
    leader.onAppended((appended) => appends.push(appended));
    await waitUntilStreaming(leader);
  });

  afterAll(async () => {
    await leader.stop();
  });

  test('inserts, updates and deletes of two tables are logged as the text Postgres gives, with old rows, one increasing lsn per transaction', async () => {
    const client = await connect();
    const before = await maxLsn();
    const t1 = await inTransaction(client, async () => {
      const { rows } = await client.query<{ id: string }>(
        `insert into inventory.warehouses (code, name, address) values ('WH-A', 'Main "quoted" wh', E'Line 1\\nLine 2 ü') returning id`,
      );
      const product = await client.query<{ id: string }>(
        `insert into catalog.products (sku, name, description, tags, price_minor, cost_minor, created_at)
         values ('SKU-A', 'Widget', 'back\\slash', array['a', 'b c', 'd"e'], 123456789012, null, '2026-01-01 20:04:05.678+00') returning id`,
      );
      return { warehouseID: rows[0]!.id, productID: product.rows[0]!.id };
    });
    const { warehouseID, productID } = t1.result;
    const warehouseV1 = await textRow(client, 'inventory.warehouses', warehouseID);
    const productV1 = await textRow(client, 'catalog.products', productID);
    expect(productV1.created_at).toBe('2026-01-01 20:04:05.678+00');
    expect(productV1.tags).toBe('{a,"b c","d\\"e"}');
    expect(productV1.active).toBe('t');
    expect(productV1).toMatchObject(await castRow(client, 'catalog.products', productID));
    expect(warehouseV1).toMatchObject(await castRow(client, 'inventory.warehouses', warehouseID));

    const t2 = await inTransaction(client, async () => {
      await client.query(`update catalog.products set active = false, tags = '{}', barcode = '12345678' where id = $1`, [productID]);
      await client.query(`update inventory.warehouses set name = 'Renamed' where id = $1`, [warehouseID]);
    });
    const productV2 = await textRow(client, 'catalog.products', productID);
    const warehouseV2 = await textRow(client, 'inventory.warehouses', warehouseID);

    const t3 = await inTransaction(client, async () => {
      await client.query('delete from catalog.products where id = $1', [productID]);
    });

    const rows = await waitForXids(before, [t1.xid, t2.xid, t3.xid]);
    const transactions = transactionsOf(rows);
    expect(transactions.map((t) => t.xid)).toEqual([t1.xid, t2.xid, t3.xid]);
    const entries = transactions.map((t) => t.rows.map(({ table_name, operation, old_row, new_row }) => ({ table_name, operation, old_row, new_row })));
    expect(entries).toEqual([
      [
        { table_name: 'inventory.warehouses', operation: 'insert', old_row: null, new_row: warehouseV1 },
        { table_name: 'catalog.products', operation: 'insert', old_row: null, new_row: productV1 },
      ],
      [
        { table_name: 'catalog.products', operation: 'update', old_row: productV1, new_row: productV2 },
        { table_name: 'inventory.warehouses', operation: 'update', old_row: warehouseV1, new_row: warehouseV2 },
      ],
      [{ table_name: 'catalog.products', operation: 'delete', old_row: productV2, new_row: null }],
    ]);
    expect(productV2.active).toBe('f');
  });

  test('a transaction that began first but committed last is logged after the one that committed first', async () => {
    const first = await connect();
    const second = await connect();
    const before = await maxLsn();
    await first.query('begin');
    const firstXid = (await first.query<{ xid: string }>('select pg_current_xact_id()::text as xid')).rows[0]!.xid;
    await insertProduct(first);
    const secondTx = await inTransaction(second, () => insertProduct(second));
    await first.query('commit');

    const transactions = transactionsOf(await waitForXids(before, [firstXid, secondTx.xid]));
    expect(transactions.map((t) => t.xid)).toEqual([secondTx.xid, firstXid]);
  });

  test('every transaction of concurrent writers is logged exactly once, in commit order', async () => {
    const writers = await Promise.all([connect(), connect(), connect(), connect()]);
    const setupClient = writers[0];
    await setupClient.query(`insert into inventory.warehouses (code, name, address) values ('CNT', 'Counter', '0')`);
    const before = await maxLsn();
    const perWriter = 50;
    const committed = await Promise.all(
      writers.map(async (client) => {
        const xids: string[] = [];
        for (let i = 0; i < perWriter; i++) {
          const { xid } = await inTransaction(client, async () => {
            await insertProduct(client);
            // The counter row serialises the writers: its values follow commit order.
            await client.query(`update inventory.warehouses set address = (address::int + 1)::text where code = 'CNT'`);
          });
          xids.push(xid);
        }
        return xids;
      }),
    );
    const allXids = committed.flat();
    const transactions = transactionsOf(await waitForXids(before, allXids, 20_000));
    expect(transactions.map((t) => t.xid).sort()).toEqual([...allXids].sort());
    const counter = transactions.map((t) => {
      expect(t.rows.map((row) => `${row.operation} ${row.table_name}`)).toEqual(['insert catalog.products', 'update inventory.warehouses']);
      return Number(t.rows[1]!.new_row!.address);
    });
    expect(counter).toEqual(allXids.map((_, i) => i + 1));
    for (const xids of committed) {
      const positions = xids.map((xid) => transactions.findIndex((t) => t.xid === xid));
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }
  });

  test('each append is handed to onAppended with exactly the rows it wrote, following on from the log before it, closed once it holds maxBatchChanges', async () => {
    const writers = await Promise.all([connect(), connect(), connect()]);
    const before = await maxLsn();
    const xids = (
      await Promise.all(
        writers.map(async (client, index) => {
          const committed: string[] = [];
          // Two-product transactions, and one of five: bigger than a batch, it goes whole.
          for (let i = 0; i < 8; i++) committed.push((await inTransaction(client, () => Promise.all(Array.from({ length: index === 0 && i === 3 ? 5 : 2 }, () => insertProduct(client))))).xid);
          return committed;
        }),
      )
    ).flat();
    await waitForXids(before, xids);
    const logged = await logAfter(before);
    const handed = appends.filter((appended) => appended.maxLsn > before);
    expect(handed.flatMap((appended) => appended.rows)).toEqual(logged);
    for (const [index, appended] of handed.entries()) {
      expect(appended.previousMax).toBe(index === 0 ? before : handed[index - 1]!.maxLsn);
      expect(BigInt(appended.rows.at(-1)!.lsn)).toBe(appended.maxLsn);
      // Without its last transaction the batch was still open: fewer than maxBatchChanges.
      expect(appended.rows.filter((row) => row.lsn !== appended.rows.at(-1)!.lsn).length).toBeLessThan(maxBatchChanges);
    }
    expect(handed.length).toBeGreaterThan(1);
  });

  test('a listener hears of each append with the new maximum lsn', async () => {
    const listener = await connect();
    const heard: string[] = [];
    listener.on('notification', (message) => {
      if (message.channel === changeLogChannel && message.payload) heard.push(message.payload);
    });
    await listener.query(`listen ${changeLogChannel}`);
    const writer = await connect();
    const { xid } = await inTransaction(writer, () => insertProduct(writer));
    const rows = await waitForXids(0n, [xid]);
    const lsn = rows.find((row) => row.xid === xid)!.lsn;
    await eventually(async () => heard.includes(lsn));
    expect(heard.at(-1)).toBe((await maxLsn()).toString());
  });

  test('a truncate logs nothing and is reported as a truncate event', async () => {
    const client = await connect();
    const before = await maxLsn();
    await client.query('truncate catalog.images');
    const { xid } = await inTransaction(client, () => insertProduct(client));
    await waitForXids(before, [xid]);
    expect(truncates.map((event) => event.tables)).toEqual([['catalog.images']]);
    expect((await logAfter(before)).map((row) => row.table_name)).toEqual(['catalog.products']);
  });

  test('while only unsynced tables change, the heartbeat still moves the slot past their WAL', async () => {
    const client = await connect();
    await client.query('update sync.log_state set updated_at = now()');
    const { rows } = await client.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn');
    await eventually(async () => {
      const slot = await database.db.query<{ past: boolean }>(
        'select confirmed_flush_lsn >= $1::pg_lsn as past from pg_replication_slots where slot_name = $2',
        [rows[0]!.lsn, slotName],
      );
      return slot.rows[0]!.past;
    });
    const lag = await leader.lagBytes();
    expect(lag).not.toBeNull();
    expect(lag!).toBeGreaterThanOrEqual(0);
    expect(errors).toEqual([]);
  });
});

test('an append waits until its transactions are visible to new snapshots, or gives up with CAPTURE_VISIBILITY_TIMEOUT having appended nothing', async () => {
  const own = await createTestDatabase(); // its own log: a made-up lsn here must not hold back the leaders' appends
  try {
    const writer = new pg.Client({ connectionString: own.url });
    await writer.connect();
    try {
      await writer.query('begin');
      const { rows } = await writer.query<{ xid: string }>('select pg_current_xact_id()::text as xid');
      const batch = [{ lsn: 100n, xid: BigInt(rows[0]!.xid), changes: [{ table: 'catalog.products', operation: 'insert' as const, oldRow: null, newRow: { id: 'p1' } }], truncatedTables: [] }];
      const logged = async () => Number((await own.db.query<{ n: string }>('select count(*)::text as n from sync.change_log')).rows[0]!.n);

      // In progress: not visible, so nothing is appended.
      await expect(appendTransactions(own.db, batch, 150)).rejects.toMatchObject({ code: CaptureErrorCode.visibilityTimeout });
      expect(await logged()).toBe(0);

      // Appended once it commits, with the xmax of a snapshot that sees it.
      const appending = appendTransactions(own.db, batch, 5000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await logged()).toBe(0);
      await writer.query('commit');
      const result = await appending;
      expect(result.appended).toHaveLength(1);
      expect(result.xmax > batch[0]!.xid).toBe(true);
      expect(await logged()).toBe(1);
    } finally {
      await writer.end();
    }
  } finally {
    await own.drop();
  }
});

test('a transaction redelivered after compaction emptied the log is not logged again', async () => {
  const own = await createTestDatabase();
  try {
    const batch = [{ lsn: 200n, xid: 5n, changes: [{ table: 'catalog.products', operation: 'insert' as const, oldRow: null, newRow: { id: 'p2' } }], truncatedTables: [] }];
    expect((await appendTransactions(own.db, batch, 5000)).appended).toHaveLength(1);
    await own.db.query("update sync.change_log set logged_at = now() - interval '1 hour'");
    expect(await compactChangeLog(own.db, 60_000)).toMatchObject({ removedEntries: 1, compactedBefore: 200n });

    // The slot sends it again (a leader died before acknowledging it): skipped, as when the log held it.
    const again = await appendTransactions(own.db, batch, 5000);
    expect(again).toMatchObject({ appended: [], skipped: 1, previousMax: 200n, rows: [] });
    expect((await own.db.query('select lsn from sync.change_log')).rows).toEqual([]);
    // A later transaction follows on.
    expect((await appendTransactions(own.db, [{ ...batch[0]!, lsn: 300n }], 5000)).previousMax).toBe(200n);
  } finally {
    await own.drop();
  }
});

test('a leader that dies after appending but before acknowledging loses and repeats nothing', async () => {
  const writer = await connect();
  const before = await maxLsn();
  let crashed!: () => void;
  const crash = new Promise<void>((resolve) => (crashed = resolve));
  const dying: ReplicationLeader = startLeader({
    onError: () => {},
    beforeAcknowledge: () => {
      crashed();
      void dying.stop();
      throw new Error('simulated crash between append and acknowledgement');
    },
  });
  await waitUntilStreaming(dying);
  const firstBatch: string[] = [];
  for (let i = 0; i < 3; i++) firstBatch.push((await inTransaction(writer, () => insertProduct(writer))).xid);
  await crash;
  await dying.stop();

  // Appended, but the slot still has it to deliver again.
  const appended = await logAfter(before);
  expect(appended.length).toBeGreaterThan(0);
  const { rows: slot } = await database.db.query<{ behind: boolean }>(
    `select confirmed_flush_lsn <= $1::text::pg_lsn as behind from pg_replication_slots where slot_name = $2`,
    [formatLsn(BigInt(appended[0]!.lsn)), slotName],
  );
  expect(slot[0]!.behind).toBe(true);

  const secondBatch: string[] = [];
  for (let i = 0; i < 3; i++) secondBatch.push((await inTransaction(writer, () => insertProduct(writer))).xid);
  const skipped: object[] = [];
  const logger: CaptureLogger = {
    info: (details, message) => void (message.startsWith('skipped') && skipped.push(details)),
    warn: () => {},
    error: () => {},
  };
  const successor = startLeader({ logger });
  const all = [...firstBatch, ...secondBatch];
  const transactions = transactionsOf(await waitForXids(before, all));
  expect(transactions.map((t) => t.xid)).toEqual(all);
  expect(skipped.length).toBeGreaterThan(0);
  await successor.stop();
  expect(errors).toEqual([]);
});

test('of two leaders only one streams, and when it stops the other takes over without gaps or duplicates', async () => {
  const a = startLeader();
  const b = startLeader();
  const active = await eventually(async () => (a.isStreaming() ? a : b.isStreaming() ? b : false));
  const standby = active === a ? b : a;
  expect(standby.isLeader()).toBe(false);
  expect(standby.isStreaming()).toBe(false);

  const writer = await connect();
  const before = await maxLsn();
  const xids: string[] = [];
  let writing = true;
  const writes = (async () => {
    while (writing) xids.push((await inTransaction(writer, () => insertProduct(writer))).xid);
  })();
  await eventually(async () => xids.length >= 20);
  const stoppedAt = Date.now();
  await active.stop();
  await waitUntilStreaming(standby);
  const takeoverMs = Date.now() - stoppedAt;
  expect(takeoverMs).toBeLessThan(5000);
  const countAtTakeover = xids.length;
  await eventually(async () => xids.length >= countAtTakeover + 20);
  writing = false;
  await writes;

  const transactions = transactionsOf(await waitForXids(before, xids));
  expect(transactions.map((t) => t.xid)).toEqual(xids);
  await standby.stop();
  expect(errors).toEqual([]);
});

test('a standby warns when the slot retains WAL and no leader streams from it', async () => {
  // Hold the leadership lock elsewhere so the instance stays a standby.
  const holder = await connect();
  await holder.query('select pg_advisory_lock(hashtextextended($1, 0))', [`niaga.replication_leader:${slotName}`]);
  const writer = await connect();
  await inTransaction(writer, () => insertProduct(writer));
  const warnings: string[] = [];
  const standby = startLeader({
    lagWarnBytes: 0,
    lagCheckIntervalMs: 50,
    logger: { info: () => {}, error: () => {}, warn: (_details, message) => void warnings.push(message) },
  });
  await eventually(async () => warnings.length > 0);
  expect(warnings[0]).toMatch(/no leader is streaming/);
  expect(standby.isLeader()).toBe(false);
  expect(await standby.lagBytes()).toBeGreaterThan(0);
  await standby.stop();
  await holder.query('select pg_advisory_unlock_all()');
});
