/**
 * Fan-out throughput: row changes per second that the server appends to sync.change_log and
 * matches against 1,000 live shapes. One server instance (child process), 1,000 live long-poll
 * clients on inventory.stock_items with varied scopes so the shape index matters:
 *
 *   - PICKERS (900) warehouse-role pickers, round-robin over WAREHOUSES (10): the rule's
 *     warehouse_id = claim condition puts them in the index under their warehouse;
 *   - THRESHOLD_SHAPES (60) admin shapes `where reorder_point >= $1` (thresholds 40…99, so 60 %
 *     down to 1 % of the rows): admin sees every row, so these are candidates for every change and
 *     their where is evaluated on each one;
 *   - PRODUCT_SHAPES (35) admin shapes `where product_id = $1`, each on one stock item's product;
 *   - AGENT_SHAPES (5) agents: every row, a column subset (availability).
 *
 * Then a burst of CHANGES row updates (`on_hand = on_hand + 1`, TX_ROWS rows per transaction,
 * every transaction spanning all warehouses) is committed by one writer. Measured from the burst's
 * first statement: when the change log holds the last transaction (polling max(lsn)), when the
 * server's feed has fetched and dispatched it (its /metrics niaga_change_log_position: the feed
 * dispatches in the same tick it advances that position), and when every client has received every
 * change message its shape should get (counted from the burst's rows, checked exactly).
 *
 * Baselines in the same run, on the same rows before the server starts: the same burst's raw
 * Postgres update rate, and the raw logical decoding rate of that burst
 * (pg_logical_slot_get_binary_changes with pgoutput, REPLICA IDENTITY FULL as the server sets it).
 *
 *   node_modules/.bin/tsx bench/fan-out.ts     (CHANGES=50000 TX_ROWS=1000 WAREHOUSES=10 ITEMS=1000 BENCH_PROFILE=1 SPREAD_REPOLLS=1)
 *   BENCH_PG_STATEMENTS=1 prints the statements by Postgres time during the burst (pg_stat_statements)
 *   selective shapes, each change concerns one client:
 *   WAREHOUSES=1000 ITEMS=10 PICKERS=1000 THRESHOLD_SHAPES=0 PRODUCT_SHAPES=0 AGENT_SHAPES=0 node_modules/.bin/tsx bench/fan-out.ts
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import {
  describeMemory,
  fmt,
  loadAverage,
  machineBusySince,
  machineCpuTicks,
  met,
  percentile,
  printTable,
  ratio,
  runBenchmark,
  sleep,
  startBenchDatabase,
  startServerProcess,
  type ResultRow,
  type ServerProcess,
} from './lib/harness.ts';
import { connectClients, countChanges, LongPollClient, seedWarehouses, stockTable, waitForWaiting } from './lib/shape-clients.ts';

const changeCount = Number(process.env.CHANGES ?? '50000');
const txRows = Number(process.env.TX_ROWS ?? '1000');
const warehouseCount = Number(process.env.WAREHOUSES ?? '10');
const itemsPerWarehouse = Number(process.env.ITEMS ?? '1000');
const pickerCount = Number(process.env.PICKERS ?? '900');
const thresholdShapes = Number(process.env.THRESHOLD_SHAPES ?? '60');
const productShapes = Number(process.env.PRODUCT_SHAPES ?? '35');
const agentShapes = Number(process.env.AGENT_SHAPES ?? '5');
const deliveryTimeoutS = Number(process.env.DELIVERY_TIMEOUT ?? '180');
/** SPREAD_REPOLLS=1: each client's next request waits until the responses that arrived with its own are read (as in live-latency.ts), so re-polls spread out in time as real devices' do. */
const spreadRepolls = process.env.SPREAD_REPOLLS === '1';
/** BENCH_PG_STATEMENTS=1: load pg_stat_statements and print what Postgres spent its time on during the burst. */
const pgStatements = process.env.BENCH_PG_STATEMENTS === '1';
const goalPerSecond = 20_000;

interface Item {
  readonly id: string;
  readonly warehouse: number;
  readonly productId: string;
  readonly reorderPoint: number;
}

/** What a client's shape selects, to count the change messages it must receive. */
type Selector = { kind: 'picker'; warehouse: number } | { kind: 'threshold'; min: number } | { kind: 'product'; productId: string } | { kind: 'agent' };

interface Subscriber {
  readonly client: LongPollClient;
  readonly selector: Selector;
  received: number;
  expected: number;
  /** When `received` reached `expected` (performance.now()), once it did. */
  completeAt: number | undefined;
}

const selects = (selector: Selector, item: Item): boolean => {
  switch (selector.kind) {
    case 'picker':
      return item.warehouse === selector.warehouse;
    case 'threshold':
      return item.reorderPoint >= selector.min;
    case 'product':
      return item.productId === selector.productId;
    case 'agent':
      return true;
  }
};

/**
 * The burst as transactions of item ids: items interleaved across warehouses, TX_ROWS at a time,
 * wrapping around (so every item is updated CHANGES / items times, never twice in one transaction).
 */
function burstTransactions(order: readonly Item[], changes: number, rowsPerTx: number, startAt = 0): Item[][] {
  if (rowsPerTx > order.length) throw new Error(`TX_ROWS (${rowsPerTx}) must not exceed the ${order.length} items`);
  const transactions: Item[][] = [];
  for (let done = 0; done < changes; done += rowsPerTx) {
    const size = Math.min(rowsPerTx, changes - done);
    transactions.push(Array.from({ length: size }, (_, i) => order[(startAt + done + i) % order.length]!));
  }
  return transactions;
}

const updateSql = 'update inventory.stock_items set on_hand = on_hand + 1 where id = any($1::uuid[])';

/** Runs the transactions one after another; the last one also returns the WAL insert position just before its commit. */
async function runBurst(writer: pg.Client, transactions: readonly Item[][]): Promise<{ ms: number; lastLsn: bigint }> {
  const started = performance.now();
  for (const transaction of transactions.slice(0, -1)) await writer.query(updateSql, [transaction.map((item) => item.id)]);
  await writer.query('begin');
  await writer.query(updateSql, [transactions.at(-1)!.map((item) => item.id)]);
  const { rows } = await writer.query<{ lsn: string }>(`select (pg_current_wal_insert_lsn() - '0/0')::text as lsn`);
  await writer.query('commit');
  return { ms: performance.now() - started, lastLsn: BigInt(rows[0]!.lsn) };
}

async function logPosition(server: ServerProcess): Promise<bigint> {
  const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
  const match = /^niaga_change_log_position (\S+)/m.exec(text);
  return match ? BigInt(Math.round(Number(match[1]))) : -1n;
}

async function printStatements(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ calls: number; total_ms: number; query: string }>(
    `select calls::int, total_exec_time as total_ms, regexp_replace(query, '\\s+', ' ', 'g') as query from pg_stat_statements
      where dbid = (select oid from pg_database where datname = current_database()) order by total_exec_time desc limit 12`,
  );
  console.log('\nPostgres statements during the burst, by total time (pg_stat_statements):');
  for (const row of rows) console.log(`${fmt(row.total_ms, 0).padStart(8)} ms ${String(row.calls).padStart(7)} calls  ${row.query.slice(0, 140)}`);
}

runBenchmark('fan-out', async () => {
  const database = await startBenchDatabase(pgStatements ? { preloadLibraries: ['pg_stat_statements'] } : {});
  const writer = await database.client();
  const monitor = await database.client();

  // ---- Seed: warehouses × items, reorder points 0…99 spread by a hash of the id.
  const warehouses = await seedWarehouses(writer, warehouseCount, itemsPerWarehouse);
  await writer.query(`update inventory.stock_items set reorder_point = ('x' || substr(md5(id::text), 1, 4))::bit(16)::int % 100`);
  await writer.query('alter table inventory.stock_items replica identity full'); // as the server's capture setup does
  await writer.query('vacuum (analyze) inventory.stock_items');
  const { rows: itemRows } = await writer.query<{ id: string; warehouse_id: string; product_id: string; reorder_point: number }>(
    'select id, warehouse_id, product_id, reorder_point from inventory.stock_items',
  );
  const warehouseIndex = new Map(warehouses.ids.map((id, index) => [id, index]));
  const byId = new Map(itemRows.map((row) => [row.id, { id: row.id, warehouse: warehouseIndex.get(row.warehouse_id)!, productId: row.product_id, reorderPoint: row.reorder_point }]));
  const order: Item[] = [];
  for (let i = 0; i < itemsPerWarehouse; i++) for (let w = 0; w < warehouseCount; w++) order.push(byId.get(warehouses.items[w]![i]!)!);
  const transactions = burstTransactions(order, changeCount, txRows);
  console.log(`seeded ${warehouseCount} warehouses × ${itemsPerWarehouse} stock items; burst: ${changeCount} updates in ${transactions.length} transactions of ≤ ${txRows} rows`);

  // ---- Baselines, before the server exists: the same burst raw, then its logical decoding.
  await runBurst(writer, transactions); // warm-up (caches, plans); not decoded
  await writer.query('vacuum (analyze) inventory.stock_items');
  const slot = `bench_fanout_${randomBytes(3).toString('hex')}`;
  await writer.query(`create publication ${slot} for table inventory.stock_items`);
  await writer.query(`select pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
  const raw = await runBurst(writer, transactions);
  const decodeStarted = performance.now();
  const { rows: decoded } = await writer.query<{ n: number }>(
    `select count(*)::int as n from pg_logical_slot_get_binary_changes($1, null, null, 'proto_version', '1', 'publication_names', $2)`,
    [slot, slot],
  );
  const decodeMs = performance.now() - decodeStarted;
  await writer.query('select pg_drop_replication_slot($1)', [slot]);
  await writer.query(`drop publication ${slot}`);
  await writer.query('vacuum (analyze) inventory.stock_items');
  const rawRate = (changeCount / raw.ms) * 1000;
  const decodeRate = (changeCount / decodeMs) * 1000;
  console.log(`raw burst: ${fmt(raw.ms, 0)} ms (${fmt(rawRate, 0)} changes/s); logical decoding of it: ${fmt(decodeMs, 0)} ms (${decoded[0]!.n} pgoutput messages, ${fmt(decodeRate, 0)} changes/s)`);

  // ---- The server and 1,000 live shapes.
  const server = await startServerProcess(database.url, { profile: process.env.BENCH_PROFILE === '1' });
  const aborter = new AbortController();
  const subscribers: Subscriber[] = [];
  const connectStarted = performance.now();
  for (const client of await connectClients(server, warehouses, pickerCount, 25, aborter.signal)) {
    subscribers.push({ client, selector: { kind: 'picker', warehouse: client.warehouse }, received: 0, expected: 0, completeAt: undefined });
  }
  const others: { selector: Selector; role: 'admin' | 'agent'; query: string }[] = [];
  const where = (sql: string, param: string) => `table=${stockTable}&where=${encodeURIComponent(sql)}&${encodeURIComponent('params[1]')}=${encodeURIComponent(param)}`;
  for (let i = 0; i < thresholdShapes; i++) {
    const min = 99 - (i % 60);
    others.push({ selector: { kind: 'threshold', min }, role: 'admin', query: where('reorder_point >= $1', String(min)) });
  }
  for (let i = 0; i < productShapes; i++) {
    const item = order[Math.floor(((i + 0.5) * order.length) / productShapes)]!;
    others.push({ selector: { kind: 'product', productId: item.productId }, role: 'admin', query: where('product_id = $1', item.productId) });
  }
  for (let i = 0; i < agentShapes; i++) others.push({ selector: { kind: 'agent' }, role: 'agent', query: `table=${stockTable}` });
  for (const [i, other] of others.entries()) {
    const client = new LongPollClient(pickerCount + i, -1, server.shapeUrl, await server.token(other.role), aborter.signal, other.query);
    await client.snapshot();
    subscribers.push({ client, selector: other.selector, received: 0, expected: 0, completeAt: undefined });
  }
  const total = subscribers.length;
  const snapshotRows = subscribers.reduce((sum, s) => sum + s.client.snapshotRows, 0);
  const expectedSnapshotRows = subscribers.reduce((sum, s) => sum + order.filter((item) => selects(s.selector, item)).length, 0);
  const bySubscriber = new Map(subscribers.map((s) => [s.client, s]));
  let stray = 0;
  for (const subscriber of subscribers) {
    subscriber.client.startLive((client, live) => {
      const s = bySubscriber.get(client)!;
      const n = countChanges(live.body);
      if (n === 0) return;
      s.received += n;
      if (s.received > s.expected) stray += Math.min(n, s.received - s.expected);
      if (s.completeAt === undefined && s.received >= s.expected) s.completeAt = live.receivedAt;
    }, { timestampFirst: spreadRepolls });
  }
  const held = await waitForWaiting(server, total, 60_000);
  console.log(
    `${total} clients (${pickerCount} pickers, ${thresholdShapes} reorder_point >= shapes, ${productShapes} product_id = shapes, ${agentShapes} agents): ` +
      `snapshots ${snapshotRows} rows (expected ${expectedSnapshotRows}) in ${fmt((performance.now() - connectStarted) / 1000)} s; ${held} live requests held (load ${loadAverage()})`,
  );

  /** Sets every subscriber's expectation for these transactions and waits until all have it (or the timeout). */
  const expect = (burst: readonly Item[][]) => {
    for (const s of subscribers) {
      s.received = 0;
      s.completeAt = undefined;
      s.expected = burst.reduce((sum, transaction) => sum + transaction.filter((item) => selects(s.selector, item)).length, 0);
    }
    stray = 0;
  };
  const allDelivered = async (timeoutMs: number) => {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline && subscribers.some((s) => s.received < s.expected)) await sleep(20);
  };

  // ---- Warm-up through the server (JIT, plans, the clients' first live round trip).
  const warmBurst = burstTransactions(order, Math.min(changeCount, 2 * txRows), txRows, changeCount % order.length);
  expect(warmBurst);
  await runBurst(writer, warmBurst);
  await allDelivered(60_000);
  const warmIncomplete = subscribers.filter((s) => s.received !== s.expected).length;
  await waitForWaiting(server, total, 30_000);
  await sleep(1000);
  const memoryBefore = await server.memoryAfterGc();
  console.log(`warm-up: ${warmBurst.length} transactions delivered${warmIncomplete ? ` (${warmIncomplete} clients INCOMPLETE)` : ''}; server ${describeMemory(memoryBefore)}`);

  // ---- The measured burst.
  expect(transactions);
  const expectedMessages = subscribers.reduce((sum, s) => sum + s.expected, 0);
  const loadBefore = loadAverage();
  const machineBefore = machineCpuTicks();
  const serverCpuBefore = server.cpuSeconds();
  const benchCpuBefore = process.cpuUsage();
  /** The WAL position just before the burst's last commit: the feed has everything once it reaches it. */
  const burstEnd: { lsn?: bigint } = {};
  if (pgStatements) await monitor.query('create extension if not exists pg_stat_statements; select pg_stat_statements_reset()');
  let appendedAt: number | undefined;
  let dispatchedAt: number | undefined;
  let polls = 0;
  const started = performance.now();
  // Poll the log's max(lsn) (database) and the feed's position (/metrics, answered by the server's
  // busy event loop, so it can lag) independently, every 50 ms, until each reaches the burst's end.
  const poll = async (read: () => Promise<bigint>, reached: (at: number) => void) => {
    for (;;) {
      if (performance.now() - started > deliveryTimeoutS * 1000) return;
      await sleep(50);
      polls += 1;
      const position = await read();
      const target = burstEnd.lsn;
      if (target !== undefined && position >= target) return reached(performance.now());
    }
  };
  const polling = Promise.all([
    poll(async () => BigInt((await monitor.query<{ lsn: string }>('select coalesce(max(lsn), 0)::text as lsn from sync.change_log')).rows[0]!.lsn), (at) => (appendedAt = at)),
    poll(() => logPosition(server), (at) => (dispatchedAt = at)),
  ]);
  const burst = await runBurst(writer, transactions);
  burstEnd.lsn = burst.lastLsn;
  const writtenAt = started + burst.ms;
  await polling;
  const serverCpuDispatched = server.cpuSeconds() - serverCpuBefore;
  const machineDispatched = machineBusySince(machineBefore);
  await allDelivered(Math.max(0, deliveryTimeoutS * 1000 - (performance.now() - started)));
  const deliveredAt = Math.max(...subscribers.map((s) => s.completeAt ?? Number.NaN));
  const serverCpu = server.cpuSeconds() - serverCpuBefore;
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const machineDelivered = machineBusySince(machineBefore);
  const loadAfter = loadAverage();
  const memoryAfter = server.memory();
  const memoryAfterGc = await server.memoryAfterGc();
  if (pgStatements) await printStatements(monitor);

  // ---- Stop.
  aborter.abort();
  await Promise.all(subscribers.map((s) => s.client.stopped()));
  const errors = subscribers.reduce((sum, s) => sum + s.client.stats.errors, 0);
  const lastError = subscribers.find((s) => s.client.stats.lastError)?.client.stats.lastError;
  const incomplete = subscribers.filter((s) => s.received !== s.expected);
  const receivedMessages = subscribers.reduce((sum, s) => sum + s.received, 0);
  const responses = subscribers.reduce((sum, s) => sum + s.client.stats.responses, 0);
  await server.stop();

  // ---- Figures.
  const seconds = (at: number | undefined) => (at === undefined || !Number.isFinite(at) ? Number.NaN : (at - started) / 1000);
  const rate = (at: number | undefined) => changeCount / seconds(at);
  const dispatchedRate = rate(dispatchedAt);
  const completions = subscribers.map((s) => seconds(s.completeAt)).sort((a, b) => a - b);
  const table: ResultRow[] = [
    {
      metric: `row changes appended + matched (burst start → feed dispatched the last), ${total} live shapes`,
      figure: `${fmt(dispatchedRate, 0)} changes/s (${fmt(seconds(dispatchedAt), 2)} s)`,
      baseline: `raw PG updates ${fmt(rawRate, 0)}/s`,
      ratio: ratio(dispatchedRate, rawRate),
      goal: `≥ ${goalPerSecond.toLocaleString('en-US')}/s`,
      met: met(dispatchedRate >= goalPerSecond),
    },
    {
      metric: '  of which appended to sync.change_log (burst start → log has the last)',
      figure: `${fmt(rate(appendedAt), 0)} changes/s (${fmt(seconds(appendedAt), 2)} s)`,
      baseline: `PG logical decoding ${fmt(decodeRate, 0)}/s`,
      ratio: ratio(rate(appendedAt), decodeRate),
      goal: '—',
      met: '—',
    },
    {
      metric: '  writer commit rate during the burst (server running)',
      figure: `${fmt(rate(writtenAt), 0)} changes/s (${fmt(seconds(writtenAt), 2)} s)`,
      baseline: `raw PG updates ${fmt(rawRate, 0)}/s`,
      ratio: ratio(rate(writtenAt), rawRate),
      goal: '—',
      met: '—',
    },
    {
      metric: `delivered: every client has all its changes (burst start → last client)`,
      figure: `${fmt(rate(deliveredAt), 0)} changes/s (${fmt(seconds(deliveredAt), 2)} s), ${fmt(receivedMessages / seconds(deliveredAt), 0)} messages/s`,
      baseline: `raw PG updates ${fmt(rawRate, 0)}/s`,
      ratio: ratio(rate(deliveredAt), rawRate),
      goal: '—',
      met: '—',
    },
    {
      metric: '  clients complete after (median / p99 / max)',
      figure: `${fmt(percentile(completions, 50), 2)} / ${fmt(percentile(completions, 99), 2)} / ${fmt(completions.at(-1) ?? Number.NaN, 2)} s`,
      baseline: '—',
      ratio: '—',
      goal: '—',
      met: '—',
    },
    {
      metric: 'change messages received / expected (exact per client)',
      figure: `${receivedMessages} / ${expectedMessages}`,
      baseline: '—',
      ratio: '—',
      goal: 'all, no extra',
      met: met(incomplete.length === 0 && stray === 0),
    },
  ];
  printTable(
    `fan-out: ${changeCount} row changes in ${transactions.length} transactions, ${total} live shapes on one instance (load ${loadBefore} → ${loadAfter})`,
    table,
  );
  console.log(
    `\nDetails: ${responses} live responses to the clients (${fmt(receivedMessages / Math.max(1, responses), 1)} messages each); ` +
      `server CPU ${fmt(serverCpuDispatched)} s until dispatched, ${fmt(serverCpu)} s until delivered (${fmt((serverCpu * 1e6) / Math.max(1, receivedMessages), 1)} µs per message delivered); ` +
      `this process (writer, clients) ${fmt((benchCpu.user + benchCpu.system) / 1e6)} s; machine CPU busy ${machineDispatched} until dispatched, ${machineDelivered} until delivered (2 cores = 100%); ` +
      `server RSS ${fmt(memoryBefore.rssMb)} MB before the burst, ${fmt(memoryAfter.rssMb)} MB after, peak ${fmt(memoryAfter.peakMb)} MB, after a GC ${describeMemory(memoryAfterGc)}; ` +
      `client errors ${errors}${lastError ? ` (last: ${lastError})` : ''}; ${incomplete.length} client(s) incomplete, ${stray} extra messages; ${polls} position polls.`,
  );
});
