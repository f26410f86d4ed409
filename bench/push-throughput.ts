/**
 * Push throughput (issue 4's speed goal): mutations applied per second end to end, exactly once,
 * with the outbox and events. CLIENTS devices (admin tokens, each its own clientGroupID and
 * clientID) push PUSHES batches of BATCH mutations each to `POST /api/v1/sync/push`, all at once,
 * one push in flight per device. The mix per mutation: 70 % `stock.adjust` (±1–5), 20 %
 * `order.place` (1–3 lines at the catalogue price, the seeded warehouse) and 10 % `stock.count`
 * (near the seeded quantity), over PRODUCTS products with stock in one warehouse.
 *
 * The server runs as production does (child process, replication leader capturing into
 * sync.change_log, outbox relay, order saga), with NATS_URL set to a private JetStream when
 * `nats-server` is installed (NATS=0: the in-process bus). Measured: mutations/s from the first
 * request to the last push answered, and to the outbox drained (no unsent row, and the saga
 * settled: no order left placed/adjusted); push latency p50/p99; throughput of the first and last
 * quarter of the pushes; server, Postgres and machine CPU; what the database connections were
 * doing (pg_stat_activity sampled every 50 ms). Then exactly once is checked: every client's
 * last_mutation_id, one ledger row per mutation, one outbox event per event-emitting mutation, the
 * saga's inbox, JetStream sequences 1…N each held by one outbox row; and the stock rows against
 * their ledger.
 *
 * Baselines in the same run, same concurrency (CLIENTS connections from this process):
 * raw single-row autocommit inserts into a scratch table (commits/s), and, for reference, the
 * writes of one stock.adjust (client id, movement, stock row, outbox event) as one hand-written
 * transaction of 4 statements.
 *
 *   node_modules/.bin/tsx bench/push-throughput.ts   (CLIENTS=50 BATCH=20 PUSHES=15 PRODUCTS=500 HISTORY=0 BASELINE_S=5 NATS=1 BENCH_PROFILE=1)
 *
 * HISTORY=n seeds n movements of ledger history first (a warehouse that has been running a while).
 *
 * BENCH_PROFILE=1 also loads pg_stat_statements and prints the statements by total time and the
 * statements per mutation.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { EngineMissingError, startNats } from '@niaga/testing';
import type pg from 'pg';
import {
  committedTransactions,
  fmt,
  loadAverage,
  machineBusySince,
  machineCpuTicks,
  met,
  onCleanup,
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

const clientCount = Number(process.env.CLIENTS ?? '50');
const batchSize = Number(process.env.BATCH ?? '20');
const pushesPerClient = Number(process.env.PUSHES ?? '15');
const productCount = Number(process.env.PRODUCTS ?? '500');
const baselineSeconds = Number(process.env.BASELINE_S ?? '5');
/** Movements already in the ledger before the run (receipts of ±1, spread over the products). */
const historyCount = Number(process.env.HISTORY ?? '0');
const drainTimeoutS = Number(process.env.DRAIN_TIMEOUT ?? '300');
const wantNats = process.env.NATS !== '0';
const profile = process.env.BENCH_PROFILE === '1';
const goal = 2000; // mutations/s
const seededOnHand = 1000;
const priceMinor = 250;

type Kind = 'adjust' | 'order' | 'count';

interface Mutation {
  clientID: string;
  id: number;
  name: string;
  args: Record<string, unknown>;
  timestamp: number;
}

interface Device {
  readonly token: string;
  readonly clientGroupID: string;
  readonly clientID: string;
  nextID: number;
}

interface Seed {
  warehouseID: string;
  customerID: string;
  products: string[];
}

/** What was sent, for the exactly-once checks. */
const sent = { clientIDs: [] as string[], mutationIDs: [] as number[], kinds: [] as Kind[], adjustIDs: [] as string[], countIDs: [] as string[], orderIDs: [] as string[], lines: 0 };

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
const between = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));

function nextMutation(seed: Seed, device: Device): Mutation {
  const id = device.nextID++;
  const occurredAt = new Date().toISOString();
  const roll = Math.random();
  let kind: Kind;
  let name: string;
  let args: Record<string, unknown>;
  if (roll < 0.7) {
    kind = 'adjust';
    name = 'stock.adjust';
    const adjustmentID = randomUUID();
    sent.adjustIDs.push(adjustmentID);
    const delta = between(1, 5) * (Math.random() < 0.5 ? -1 : 1);
    args = { adjustmentID, warehouseID: seed.warehouseID, productID: pick(seed.products), delta, reason: delta < 0 ? 'damaged' : 'found', occurredAt };
  } else if (roll < 0.9) {
    kind = 'order';
    name = 'order.place';
    const orderID = randomUUID();
    sent.orderIDs.push(orderID);
    const products = new Set<string>();
    const wanted = between(1, 3);
    while (products.size < wanted) products.add(pick(seed.products));
    sent.lines += products.size;
    args = {
      orderID,
      customerID: seed.customerID,
      warehouseID: seed.warehouseID,
      lines: [...products].map((productID) => ({ lineID: randomUUID(), productID, qty: between(1, 5), unitPrice: priceMinor })),
      occurredAt,
    };
  } else {
    kind = 'count';
    name = 'stock.count';
    const countID = randomUUID();
    sent.countIDs.push(countID);
    args = { countID, warehouseID: seed.warehouseID, productID: pick(seed.products), countedQty: seededOnHand + between(-3, 3), occurredAt };
  }
  sent.clientIDs.push(device.clientID);
  sent.mutationIDs.push(id);
  sent.kinds.push(kind);
  return { clientID: device.clientID, id, name, args, timestamp: Date.now() };
}

// ---------------------------------------------------------------------------------------------
// HTTP: node:http with a keep-alive agent (undici's fetch costs this process more CPU per request).

function post(agent: Agent, url: string, headers: Record<string, string>, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface PushStats {
  latencies: number[];
  /** performance.now() when each push was answered. */
  answeredAt: number[];
  retries: number;
}

async function pushAll(server: ServerProcess, agent: Agent, seed: Seed, device: Device, pushes: number, stats: PushStats): Promise<void> {
  const url = `${server.baseUrl}/api/v1/sync/push`;
  for (let push = 0; push < pushes; push++) {
    const mutations = Array.from({ length: batchSize }, () => nextMutation(seed, device));
    const body = JSON.stringify({ pushVersion: 1, clientGroupID: device.clientGroupID, profileID: 'bench', schemaVersion: '1', mutations });
    const last = mutations.at(-1)!.id;
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      const response = await post(agent, url, { authorization: `Bearer ${device.token}`, 'niaga-device-time': new Date().toISOString() }, body);
      const answered = performance.now();
      if (response.status === 200) {
        const parsed = JSON.parse(response.text) as { lastMutationIDs?: Record<string, number> };
        if (parsed.lastMutationIDs?.[device.clientID] !== last) throw new Error(`Push answered ${response.text.slice(0, 300)}, expected lastMutationID ${last}`);
        stats.latencies.push(answered - started);
        stats.answeredAt.push(answered);
        break;
      }
      // A 503 is the one answer a device retries (the same push; what was applied is skipped).
      if (response.status === 503 && attempt < 6) {
        stats.retries += 1;
        await sleep(50 * 2 ** attempt);
        continue;
      }
      throw new Error(`Push failed: ${response.status} ${response.text.slice(0, 500)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Postgres CPU: the postmaster, its reaped children (cutime/cstime) and its live children.

function statTicks(pid: number): { own: number; children: number; ppid: number } | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { ppid: Number(fields[1]), own: Number(fields[11]) + Number(fields[12]), children: Number(fields[13]) + Number(fields[14]) };
  } catch {
    return undefined;
  }
}

/** CPU seconds of Postgres so far, by process kind (from the process title), and in total. */
function postgresCpu(postmaster: number): Map<string, number> {
  const byKind = new Map<string, number>();
  const add = (kind: string, ticks: number) => byKind.set(kind, (byKind.get(kind) ?? 0) + ticks / 100);
  const root = statTicks(postmaster);
  if (root) {
    add('postmaster', root.own);
    add('exited backends', root.children);
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statTicks(Number(entry));
    if (stat?.ppid !== postmaster) continue;
    let title = '';
    try {
      title = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue;
    }
    const kind = /walsender/.test(title) ? 'walsender (logical decoding)' : /autovacuum/.test(title) ? 'autovacuum' : /postgres: \S+ \S+ \d/.test(title) ? 'client backends' : 'other background';
    add(kind, stat.own);
  }
  add('total', [...byKind.values()].reduce((sum, value) => sum + value * 100, 0));
  return byKind;
}

/** CPU seconds of the private nats-server listening on `port` (0 when there is none). */
function natsCpuSeconds(port: number | undefined): number {
  if (port === undefined) return 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args[0]?.endsWith('nats-server') && args[args.indexOf('-p') + 1] === String(port)) return (statTicks(Number(entry))?.own ?? 0) / 100;
    } catch {
      // gone
    }
  }
  return 0;
}

function cpuSince(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  return new Map([...after].map(([kind, seconds]) => [kind, seconds - (before.get(kind) ?? 0)]));
}

// ---------------------------------------------------------------------------------------------
// Baselines: CLIENTS connections, each a loop of the same work, for `seconds`.

async function concurrentLoop(clients: readonly pg.Client[], seconds: number, work: (client: pg.Client, index: number, n: number) => Promise<void>): Promise<number> {
  let done = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    clients.map(async (client, index) => {
      for (let n = 0; performance.now() < deadline; n++) {
        await work(client, index, n);
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

/** pg_stat_activity of the bench database, sampled: how many server connections were in each state. */
function sampleActivity(monitor: pg.Client, exclude: readonly number[]): { stop: () => Promise<Map<string, number>>; samples: () => number } {
  const totals = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const { rows } = await monitor.query<{ state: string; n: number }>(
        `select case when state = 'active' and wait_event_type = 'Lock' then 'waiting for a lock (' || wait_event || ')'
                     when state = 'active' and wait_event_type is not null then 'active, waiting ' || wait_event_type || '/' || wait_event
                     else coalesce(state, 'n/a') end as state, count(*)::int as n
           from pg_stat_activity
          where datname = current_database() and backend_type = 'client backend' and not (pid = any($1::int[]))
          group by 1`,
        [exclude],
      );
      samples += 1;
      for (const row of rows) totals.set(row.state, (totals.get(row.state) ?? 0) + row.n);
      await sleep(50);
    }
  })();
  return {
    samples: () => samples,
    stop: async () => {
      running = false;
      await loop;
      return totals;
    },
  };
}

// ---------------------------------------------------------------------------------------------

runBenchmark('push-throughput', async () => {
  let natsUrl: string | undefined;
  let natsPort: number | undefined;
  if (wantNats) {
    try {
      const nats = await startNats();
      onCleanup(() => nats.dispose());
      natsUrl = nats.url;
      natsPort = nats.port;
    } catch (error) {
      if (!(error instanceof EngineMissingError)) throw error;
      console.log(`nats-server is not installed (${error.message}): events go to the in-process bus`);
    }
  }
  const eventsMode = natsUrl ? `JetStream (private nats-server, ${natsUrl})` : 'in-process bus (no NATS_URL)';
  const database = await startBenchDatabase(profile ? { preloadLibraries: ['pg_stat_statements'] } : {});
  const admin = await database.client();
  const monitor = await database.client();
  if (profile) await admin.query('create extension if not exists pg_stat_statements');

  // ---- Seed: one warehouse, PRODUCTS products with stock, one customer.
  const { rows: warehouseRows } = await admin.query<{ id: string }>(`insert into inventory.warehouses (code, name) values ('WH-BENCH', 'Bench warehouse') returning id`);
  const { rows: productRows } = await admin.query<{ id: string }>(
    `insert into catalog.products (sku, name, price_minor) select 'BENCH-' || g, 'Product ' || g, $2 from generate_series(1, $1::int) g returning id`,
    [productCount, priceMinor],
  );
  const seed: Seed = { warehouseID: warehouseRows[0]!.id, customerID: randomUUID(), products: productRows.map((row) => row.id) };
  await admin.query('insert into inventory.stock_items (warehouse_id, product_id, on_hand) select $1, unnest($2::uuid[]), $3', [seed.warehouseID, seed.products, seededOnHand]);
  await admin.query(`insert into customers.customers (id, name) values ($1, 'Bench customer')`, [seed.customerID]);
  if (historyCount > 0) {
    await admin.query(
      `insert into inventory.movements (warehouse_id, product_id, kind, quantity, affects_on_hand, reason, occurred_at, recorded_at)
       select $1, ($2::uuid[])[1 + g % $3], 'receipt', case when (g / $3) % 2 = 0 then 1 else -1 end, true, 'history', now() - interval '30 days' + g * interval '1 second', now()
         from generate_series(0, $4::int - 1) g`,
      [seed.warehouseID, seed.products, productCount, historyCount],
    );
    await admin.query(
      `update inventory.stock_items s set on_hand = on_hand + coalesce((select sum(quantity) from inventory.movements m where m.warehouse_id = s.warehouse_id and m.product_id = s.product_id), 0)`,
    );
  }
  await admin.query('analyze');
  await admin.query('create table public.bench_scratch (id bigint generated always as identity primary key, conn int not null, n int not null, payload text not null)');
  console.log(`seeded 1 warehouse, ${productCount} products with ${seededOnHand} on hand each, 1 customer, ${historyCount} movements of history; events: ${eventsMode}`);

  const server = await startServerProcess(database.url, { profile, ...(natsUrl ? { config: { NATS_URL: natsUrl } } : {}) });
  const agent = new Agent({ keepAlive: true, maxSockets: clientCount + 1 });
  const devices: Device[] = await Promise.all(
    Array.from({ length: clientCount }, async () => ({ token: await server.token('admin'), clientGroupID: randomUUID(), clientID: randomUUID(), nextID: 1 })),
  );
  const { rows: postmasterRows } = await admin.query<{ pid: number }>('select pg_backend_pid() as pid');
  const postmaster = statTicks(postmasterRows[0]!.pid)!.ppid;

  // ---- Warm-up: one extra device, 3 pushes (JIT, pools, the JetStream stream); checked like the rest.
  const warmDevice: Device = { token: await server.token('admin'), clientGroupID: randomUUID(), clientID: randomUUID(), nextID: 1 };
  await pushAll(server, agent, seed, warmDevice, 3, { latencies: [], answeredAt: [], retries: 0 });
  const waitDrained = async (timeoutS: number): Promise<boolean> => {
    const deadline = performance.now() + timeoutS * 1000;
    while (performance.now() < deadline) {
      const { rows } = await monitor.query<{ unsent: number; pending: number }>(
        `select (select count(*) from events.outbox where sent_at is null)::int as unsent,
                (select count(*) from orders.orders where status in ('placed', 'adjusted'))::int as pending`,
      );
      if (rows[0]!.unsent === 0 && rows[0]!.pending === 0) return true;
      await sleep(20);
    }
    return false;
  };
  if (!(await waitDrained(60))) throw new Error('The warm-up events were not drained within 60 s');
  console.log(`server pid ${server.pid} up; warm-up done (load ${loadAverage()})`);

  // ---- Baseline: raw single-row autocommit inserts, CLIENTS connections.
  const baselineClients = await Promise.all(Array.from({ length: clientCount }, () => database.client()));
  const loadBaseline = loadAverage();
  const baselineCpu = { postgres: postgresCpu(postmaster), bench: process.cpuUsage() };
  const rawCommits = await concurrentLoop(baselineClients, baselineSeconds, async (client, index, n) => {
    await client.query('insert into public.bench_scratch (conn, n, payload) values ($1, $2, $3)', [index, n, 'x'.repeat(64)]);
  });
  const baselinePostgres = cpuSince(baselineCpu.postgres, postgresCpu(postmaster)).get('total')!;
  const baselineBench = process.cpuUsage(baselineCpu.bench);
  console.log(
    `baseline: ${fmt(rawCommits, 0)} single-row commits/s over ${clientCount} connections (${baselineSeconds} s, load ${loadBaseline}); ` +
      `CPU: Postgres ${fmt(baselinePostgres)} s (${fmt((baselinePostgres * 1e6) / (rawCommits * baselineSeconds), 0)} µs per commit), this process ${fmt((baselineBench.user + baselineBench.system) / 1e6)} s`,
  );
  await sleep(1000);

  // ---- The load.
  const total = clientCount * pushesPerClient * batchSize;
  const stats: PushStats = { latencies: [], answeredAt: [], retries: 0 };
  const loadBefore = loadAverage();
  const commitsBefore = await committedTransactions(monitor);
  if (profile) await admin.query('select pg_stat_statements_reset()');
  const activity = sampleActivity(monitor, await Promise.all([admin, monitor, ...baselineClients].map(backendPid)));
  const serverCpuBefore = server.cpuSeconds();
  const pgCpuBefore = postgresCpu(postmaster);
  const monotonicStart = process.hrtime.bigint() / 1000n;
  const benchCpuBefore = process.cpuUsage();
  const natsCpuBefore = natsCpuSeconds(natsPort);
  const machineBefore = machineCpuTicks();
  console.log(`pushing: ${clientCount} devices × ${pushesPerClient} pushes × ${batchSize} mutations = ${total} mutations (load ${loadBefore})`);
  const started = performance.now();
  await Promise.all(devices.map((device) => pushAll(server, agent, seed, device, pushesPerClient, stats)));
  const pushedAt = performance.now();
  const serverCpuPushed = server.cpuSeconds() - serverCpuBefore;
  const pgCpuPushedByKind = cpuSince(pgCpuBefore, postgresCpu(postmaster));
  const pgCpuPushed = pgCpuPushedByKind.get('total')!;
  const monotonicPushed = process.hrtime.bigint() / 1000n;
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const machinePushed = machineBusySince(machineBefore);
  const natsCpuPushed = natsCpuSeconds(natsPort) - natsCpuBefore;
  const states = await activity.stop();
  const samples = activity.samples();
  const { rows: backlogRows } = await monitor.query<{ unsent: number; pending: number }>(
    `select (select count(*) from events.outbox where sent_at is null)::int as unsent, (select count(*) from orders.orders where status in ('placed', 'adjusted'))::int as pending`,
  );
  const drained = await waitDrained(drainTimeoutS);
  const drainedAt = performance.now();
  const serverCpuDrained = server.cpuSeconds() - serverCpuBefore;
  const pgCpuDrainedByKind = cpuSince(pgCpuBefore, postgresCpu(postmaster));
  const pgCpuDrained = pgCpuDrainedByKind.get('total')!;
  const monotonicDrained = process.hrtime.bigint() / 1000n;
  const machineDrained = machineBusySince(machineBefore);
  const natsCpuDrained = natsCpuSeconds(natsPort) - natsCpuBefore;
  const loadAfter = loadAverage();
  await sleep(1500); // pg_stat_database lags a little
  const commitsDuring = (await committedTransactions(monitor)) - commitsBefore;
  if (!drained) console.log(`outbox NOT drained within ${drainTimeoutS} s`);

  // Statement statistics now, before the checks and the reference add their own.
  let statements: { calls: number; total_ms: number; mean_ms: number; query: string }[] = [];
  if (profile) {
    const { rows } = await admin.query<{ calls: number; total_ms: number; mean_ms: number; query: string }>(
      `select calls::int, total_exec_time as total_ms, mean_exec_time as mean_ms, regexp_replace(query, '\\s+', ' ', 'g') as query from pg_stat_statements
        where dbid = (select oid from pg_database where datname = current_database()) order by total_exec_time desc`,
    );
    // Without this benchmark's own monitoring queries.
    statements = rows.filter((row) => !/pg_stat_activity|as unsent|pg_stat_clear_snapshot|xact_commit|pg_stat_statements/.test(row.query));
  }
  const statementCalls = statements.reduce((sum, row) => sum + row.calls, 0);

  const pushedS = (pushedAt - started) / 1000;
  const drainedS = (drainedAt - started) / 1000;
  const pushedRate = total / pushedS;
  const drainedRate = drained ? total / drainedS : Number.NaN;
  const latencies = [...stats.latencies].sort((a, b) => a - b);
  const answered = [...stats.answeredAt].sort((a, b) => a - b);
  const quarter = Math.floor(answered.length / 4);
  const firstQuarterRate = (quarter * batchSize) / ((answered[quarter - 1]! - started) / 1000);
  const lastQuarterRate = (quarter * batchSize) / ((answered.at(-1)! - answered[answered.length - quarter - 1]!) / 1000);

  // ---- Exactly once.
  const checks: { name: string; ok: boolean; detail: string }[] = [];
  const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });
  const countOf = async (sql: string, values: unknown[] = []) => Number((await admin.query<{ n: number }>(`select count(*)::int as n from (${sql}) q`, values)).rows[0]!.n);
  const allDevices = [warmDevice, ...devices];
  const { rows: clientRows } = await admin.query<{ id: string; last_mutation_id: number }>('select id, last_mutation_id from sync.clients where id = any($1::text[])', [allDevices.map((device) => device.clientID)]);
  const lastIDs = new Map(clientRows.map((row) => [row.id, Number(row.last_mutation_id)]));
  const wrongClients = allDevices.filter((device) => lastIDs.get(device.clientID) !== device.nextID - 1);
  check('sync.clients.last_mutation_id = what each client sent', wrongClients.length === 0, `${allDevices.length - wrongClients.length}/${allDevices.length} clients`);
  await admin.query('create temporary table sent (client_id text, mutation_id bigint, kind text)');
  await admin.query('insert into sent select * from unnest($1::text[], $2::bigint[], $3::text[])', [sent.clientIDs, sent.mutationIDs, sent.kinds]);
  const sentCount = sent.kinds.length;
  const adjusts = sent.adjustIDs.length;
  const orders = sent.orderIDs.length;
  const counts = sent.countIDs.length;
  const { rows: outcomeRows } = await admin.query<{ status: string; code: string | null; n: number }>(
    `select r.status, r.code, count(*)::int as n from sync.mutation_results r join sent s using (client_id, mutation_id) group by 1, 2 order by 3 desc`,
  );
  const rejected = outcomeRows.filter((row) => row.status === 'rejected').reduce((sum, row) => sum + row.n, 0);
  check('no mutation rejected', rejected === 0, outcomeRows.length === 0 ? 'all applied' : outcomeRows.map((row) => `${row.status}/${row.code ?? '-'} ${row.n}`).join(', '));
  const movements = await countOf('select 1 from inventory.movements where id = any($1::uuid[])', [sent.adjustIDs]);
  const allAdjustments = await countOf(`select 1 from inventory.movements where kind = 'adjustment'`);
  check('stock.adjust → one movement each', movements === adjusts && allAdjustments === adjusts, `${movements} of ${adjusts} (adjustment movements in the table: ${allAdjustments})`);
  const countLines = await countOf('select 1 from inventory.count_lines where id = any($1::uuid[])', [sent.countIDs]);
  const allCountLines = await countOf('select 1 from inventory.count_lines');
  check('stock.count → one count line each', countLines === counts && allCountLines === counts, `${countLines} of ${counts} (in the table: ${allCountLines})`);
  const orderCount = await countOf('select 1 from orders.orders where id = any($1::uuid[])', [sent.orderIDs]);
  const allOrders = await countOf('select 1 from orders.orders');
  const itemCount = await countOf('select 1 from orders.order_items');
  check('order.place → one order each, with its lines', orderCount === orders && allOrders === orders && itemCount === sent.lines, `${orderCount} of ${orders} orders (in the table: ${allOrders}), ${itemCount} of ${sent.lines} lines`);
  const eventOf: Record<Kind, string> = { adjust: 'inventory.updated', order: 'order.created', count: 'stock.counted' };
  const { rows: eventRows } = await admin.query<{ kind: Kind; mutations: number; exactly_one: number; events: number }>(
    `select s.kind, count(*)::int as mutations, count(*) filter (where e.n = 1)::int as exactly_one, coalesce(sum(e.n), 0)::int as events
       from sent s
       left join lateral (
         select count(*)::int as n from events.outbox o
          where o.client_id = s.client_id and o.mutation_id = s.mutation_id
            and o.type = case s.kind when 'adjust' then 'inventory.updated' when 'order' then 'order.created' else 'stock.counted' end) e on true
      group by 1 order by 1`,
  );
  check(
    'one outbox event per mutation (its own type)',
    eventRows.every((row) => row.exactly_one === row.mutations && row.events === row.mutations) && eventRows.reduce((sum, row) => sum + row.mutations, 0) === sentCount,
    eventRows.map((row) => `${eventOf[row.kind]} ${row.exactly_one}/${row.mutations}`).join(', '),
  );
  const { rows: outboxRows } = await admin.query<{ total: number; unsent: number; seqs: number; max_seq: number | null; saga: number }>(
    `select count(*)::int as total, count(*) filter (where sent_at is null)::int as unsent, count(distinct stream_seq)::int as seqs, max(stream_seq)::int as max_seq,
            count(*) filter (where type in ('inventory.reserved', 'inventory.insufficient', 'order.confirmed', 'order.backordered'))::int as saga
       from events.outbox`,
  );
  const outbox = outboxRows[0]!;
  if (natsUrl) {
    check('JetStream: sequences 1…N, one outbox row each', outbox.unsent === 0 && outbox.seqs === outbox.total && outbox.max_seq === outbox.total, `${outbox.total} events, ${outbox.seqs} distinct stream seqs, max ${outbox.max_seq ?? 'none'}`);
  } else {
    check('every outbox event sent', outbox.unsent === 0, `${outbox.total} events, ${outbox.unsent} unsent`);
  }
  const { rows: sagaRows } = await admin.query<{ consumer: string; handled: number; expected: number }>(
    `select c.consumer, (select count(*) from events.inbox i where i.consumer = c.consumer)::int as handled,
            (select count(*) from events.outbox o where o.type = any(c.types))::int as expected
       from (values ('inventory-reservations', array['order.created', 'order.cancelled']), ('order-fulfilment', array['inventory.reserved', 'inventory.insufficient'])) c(consumer, types)`,
  );
  const reservations = await countOf('select 1 from inventory.reservations');
  const { rows: statusRows } = await admin.query<{ status: string; n: number }>('select status, count(*)::int as n from orders.orders group by 1 order by 2 desc');
  check(
    'saga: each event handled once, every order settled',
    sagaRows.every((row) => row.handled === row.expected) && reservations === sent.lines && statusRows.every((row) => row.status === 'confirmed' || row.status === 'backordered'),
    `${sagaRows.map((row) => `${row.consumer} ${row.handled}/${row.expected}`).join(', ')}; ${reservations}/${sent.lines} reservations; orders ${statusRows.map((row) => `${row.status} ${row.n}`).join(', ')}`,
  );
  // Stock rows against their ledger: on hand = the latest applied count + the (non-count)
  // movements after it, or the seeded quantity + every movement; reserved = the active reservations.
  const { rows: ledgerRows } = await admin.query<{ items: number; on_hand_off: number; on_hand_off_uncounted: number; reserved_off: number; example: string | null }>(
    `with latest as (
       select distinct on (product_id) product_id, counted_qty, occurred_at from inventory.count_lines
        where warehouse_id = $1 and status in ('applied', 'approved') order by product_id, occurred_at desc),
     expected as (
       select s.product_id, s.on_hand, s.reserved,
              coalesce(l.counted_qty, $2) + coalesce((select sum(m.quantity) from inventory.movements m
                where m.warehouse_id = s.warehouse_id and m.product_id = s.product_id and m.kind <> 'count'
                  and (l.occurred_at is null or m.occurred_at > l.occurred_at)), 0) as expected_on_hand,
              coalesce((select sum(r.qty) from inventory.reservations r where r.warehouse_id = s.warehouse_id and r.product_id = s.product_id and r.status = 'active'), 0) as expected_reserved
         from inventory.stock_items s left join latest l using (product_id) where s.warehouse_id = $1)
     select count(*)::int as items, count(*) filter (where on_hand <> expected_on_hand)::int as on_hand_off,
            count(*) filter (where on_hand <> expected_on_hand and not exists (select 1 from inventory.count_lines c where c.warehouse_id = $1 and c.product_id = expected.product_id))::int as on_hand_off_uncounted,
            count(*) filter (where reserved <> expected_reserved)::int as reserved_off,
            min(case when on_hand <> expected_on_hand or reserved <> expected_reserved
                     then format('on hand %s (ledger %s), reserved %s (reservations %s)', on_hand, expected_on_hand, reserved, expected_reserved) end) as example
       from expected`,
    [seed.warehouseID, seededOnHand],
  );
  const ledger = ledgerRows[0]!;
  const ledgerOk = ledger.on_hand_off === 0 && ledger.reserved_off === 0;

  // ---- Reference: the writes of one stock.adjust, hand-written (4 statements in a transaction).
  const rawClientIDs = baselineClients.map(() => `raw-${randomUUID()}`);
  await admin.query(`insert into sync.client_groups (id, user_id) values ('raw-group', $1)`, [randomUUID()]);
  await admin.query(`insert into sync.clients (id, client_group_id, user_id) select unnest($1::text[]), 'raw-group', $2`, [rawClientIDs, randomUUID()]);
  const referenceCpu = { server: server.cpuSeconds(), postgres: postgresCpu(postmaster), bench: process.cpuUsage(), machine: machineCpuTicks() };
  const rawAdjusts = await concurrentLoop(baselineClients, baselineSeconds, async (client, index) => {
    const productID = pick(seed.products);
    const delta = between(1, 5) * (Math.random() < 0.5 ? -1 : 1);
    await client.query('begin');
    const { rows } = await client.query<{ last_mutation_id: string }>('update sync.clients set last_mutation_id = last_mutation_id + 1, updated_at = now() where id = $1 returning last_mutation_id', [rawClientIDs[index]]);
    await client.query(
      `insert into inventory.movements (warehouse_id, product_id, kind, quantity, affects_on_hand, reason, occurred_at, client_id, mutation_id) values ($1, $2, 'adjustment', $3, true, 'raw', now(), $4, $5)`,
      [seed.warehouseID, productID, delta, rawClientIDs[index], rows[0]!.last_mutation_id],
    );
    const { rows: stock } = await client.query('update inventory.stock_items set on_hand = on_hand + $3, version = version + 1 where warehouse_id = $1 and product_id = $2 returning on_hand, reserved, available', [
      seed.warehouseID,
      productID,
      delta,
    ]);
    await client.query(`insert into events.outbox (type, payload, client_id, mutation_id) values ('inventory.updated', $1, $2, $3)`, [JSON.stringify({ warehouseID: seed.warehouseID, productID, ...stock[0] }), rawClientIDs[index], rows[0]!.last_mutation_id]);
    await client.query('commit');
  });
  const referenceBench = process.cpuUsage(referenceCpu.bench);
  console.log(
    `reference: ${fmt(rawAdjusts, 0)} hand-written stock.adjust transactions/s over ${clientCount} connections; CPU during it: server (capture, relay) ${fmt(server.cpuSeconds() - referenceCpu.server)} s, ` +
      `Postgres ${fmt(cpuSince(referenceCpu.postgres, postgresCpu(postmaster)).get('total')!)} s, this process ${fmt((referenceBench.user + referenceBench.system) / 1e6)} s in ${baselineSeconds} s, machine busy ${machineBusySince(referenceCpu.machine)}`,
  );

  // ---- Report.
  const table: ResultRow[] = [
    {
      metric: `mutations applied/s, first request → last push answered`,
      figure: `${fmt(pushedRate, 0)}/s (${total} in ${fmt(pushedS, 2)} s)`,
      baseline: `raw single-row commits ${fmt(rawCommits, 0)}/s`,
      ratio: ratio(pushedRate, rawCommits),
      goal: `≥ ${goal}/s`,
      met: met(pushedRate >= goal && checks.every((entry) => entry.ok)),
    },
    {
      metric: `… until the outbox is drained (and the saga settled)`,
      figure: drained ? `${fmt(drainedRate, 0)}/s (${fmt(drainedS, 2)} s)` : `not drained in ${drainTimeoutS} s`,
      baseline: `raw single-row commits ${fmt(rawCommits, 0)}/s`,
      ratio: ratio(drainedRate, rawCommits),
      goal: `≥ ${goal}/s`,
      met: met(drained && drainedRate >= goal && checks.every((entry) => entry.ok)),
    },
    {
      metric: 'first / last quarter of the pushes',
      figure: `${fmt(firstQuarterRate, 0)} / ${fmt(lastQuarterRate, 0)}/s`,
      baseline: '—',
      ratio: '—',
      goal: '—',
      met: '—',
    },
    {
      metric: `push latency (${batchSize} mutations), p50 / p99 / max`,
      figure: `${fmt(percentile(latencies, 50), 0)} / ${fmt(percentile(latencies, 99), 0)} / ${fmt(latencies.at(-1) ?? Number.NaN, 0)} ms`,
      baseline: '—',
      ratio: '—',
      goal: '—',
      met: '—',
    },
    {
      metric: 'reference: one stock.adjust as a hand-written transaction',
      figure: `${fmt(rawAdjusts, 0)}/s`,
      baseline: `raw single-row commits ${fmt(rawCommits, 0)}/s`,
      ratio: ratio(rawAdjusts, rawCommits),
      goal: '—',
      met: '—',
    },
    {
      metric: 'exactly once (all checks below)',
      figure: `${checks.filter((entry) => entry.ok).length}/${checks.length} passed`,
      baseline: '—',
      ratio: '—',
      goal: 'all',
      met: met(checks.every((entry) => entry.ok)),
    },
    {
      metric: 'stock rows agree with their ledger',
      figure: `on hand off ${ledger.on_hand_off}/${ledger.items} (${ledger.on_hand_off_uncounted} never counted), reserved off ${ledger.reserved_off}`,
      baseline: '—',
      ratio: '—',
      goal: 'all',
      met: met(ledgerOk),
    },
  ];
  printTable(
    `push-throughput: ${clientCount} devices × ${pushesPerClient} pushes × ${batchSize} mutations (${adjusts} stock.adjust, ${orders} order.place, ${counts} stock.count), events: ${eventsMode} (load ${loadBefore} → ${loadAfter})`,
    table,
  );
  console.log('\nExactly-once checks:');
  for (const entry of checks) console.log(`  ${entry.ok ? 'ok  ' : 'FAIL'}  ${entry.name}: ${entry.detail}`);
  if (!ledgerOk) console.log(`  Stock rows off their ledger, e.g.: ${ledger.example ?? ''}`);
  const stateLine = [...states]
    .sort((a, b) => b[1] - a[1])
    .map(([state, n]) => `${state} ${fmt(n / Math.max(1, samples), 1)}`)
    .join(', ');
  console.log(
    `\nDetails: outbox ${outbox.total} events (${outbox.saga} of them from the saga); ${fmt(outbox.total / Math.max(1, total), 2)} events per mutation; at the last push answered ${backlogRows[0]!.unsent} unsent, ${backlogRows[0]!.pending} orders unsettled; ` +
      `${stats.retries} retried pushes (503); Postgres transactions committed during the load ${commitsDuring} (${fmt(commitsDuring / total, 2)} per mutation, capture/relay/saga included); ` +
      `CPU until the last push: server ${fmt(serverCpuPushed)} s (${fmt((serverCpuPushed * 1e6) / total, 0)} µs per mutation), Postgres ${fmt(pgCpuPushed)} s (${fmt((pgCpuPushed * 1e6) / total, 0)} µs per mutation), ` +
      `nats-server ${fmt(natsCpuPushed)} s, this process ${fmt((benchCpu.user + benchCpu.system) / 1e6)} s, machine busy ${machinePushed} (all cores = 100%; other users' processes included); ` +
      `until drained: server ${fmt(serverCpuDrained)} s, Postgres ${fmt(pgCpuDrained)} s, nats-server ${fmt(natsCpuDrained)} s, machine ${machineDrained}.`,
  );
  const cpuLine = (byKind: Map<string, number>) =>
    [...byKind]
      .filter(([kind, seconds]) => kind !== 'total' && seconds >= 0.05)
      .sort((a, b) => b[1] - a[1])
      .map(([kind, seconds]) => `${kind} ${fmt(seconds)} s`)
      .join(', ');
  console.log(`Postgres CPU by process until the last push: ${cpuLine(pgCpuPushedByKind)}; until drained: ${cpuLine(pgCpuDrainedByKind)}`);
  if (profile) console.log(`Load window on CLOCK_MONOTONIC (µs, the CPU profile's clock): ${monotonicStart} → ${monotonicPushed} (last push) → ${monotonicDrained} (drained)`);
  console.log(`Database connections of the server during the pushes (average of ${samples} samples): ${stateLine}`);
  if (profile) {
    console.log(`\npg_stat_statements during the load (until drained): ${statementCalls} statements, ${fmt(statementCalls / total, 1)} per mutation. By total time:`);
    for (const row of statements.slice(0, 25)) console.log(`  ${fmt(row.total_ms, 0).padStart(8)} ms ${String(row.calls).padStart(8)} calls ${fmt(row.mean_ms, 3).padStart(8)} ms  ${row.query.slice(0, 150)}`);
  }
  await server.stop();
  agent.destroy();
  if (!checks.every((entry) => entry.ok)) throw new Error('exactly-once checks failed');
});

async function backendPid(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
  return rows[0]!.pid;
}
