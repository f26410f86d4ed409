/**
 * Live latency: 1,000 live long-poll clients (plain node:http loops following the protocol) on one
 * server instance (child process), pickers scoped to one of 10 warehouses by their token, each
 * with a shape on inventory.stock_items. A writer commits single-row updates at a steady rate;
 * for every update, the latency from the writer sending its autocommit UPDATE to the response
 * carrying the change having arrived at each of the 100 clients that should see it, also split
 * into commit → first client (the capture pipeline) and first → last client (the fan-out). The
 * clients share this one process, unlike real devices: each response is timestamped when it has
 * arrived, and each simulated client's own work on it (parsing, the next request) waits until the
 * responses that arrived with it are timestamped; the latency after this process parsed it (which
 * includes the other clients' work, as real devices would not) is reported beside it. One official ShapeStream
 * (a warehouse-0 picker) runs alongside, to check it sees the same changes as the loops.
 *
 * Baseline in the same run, interleaved with the updates: raw Postgres NOTIFY → LISTEN round
 * trip (sending `select pg_notify(…)` autocommit → notification received), same rate.
 * Also the server's RSS (VmRSS of its process, and its V8 heap after a forced GC) idle, with the
 * clients held, and after the writes; then every 10 s for SETTLE_S (30) more seconds with the
 * clients still held and nothing written (V8 gives memory back only once the process is quiet).
 *
 *   node_modules/.bin/tsx bench/live-latency.ts     (CLIENTS=1000 RATE=5 DURATION=20 ITEMS=500 SETTLE_S=30 BENCH_PROFILE=1)
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isChangeMessage, ShapeStream, type Message, type Row } from '@electric-sql/client';
import {
  committedTransactions,
  describeMemory,
  fmt,
  loadAverage,
  met,
  percentile,
  printTable,
  ratio,
  runBenchmark,
  sleep,
  startBenchDatabase,
  startServerProcess,
  type ResultRow,
} from './lib/harness.ts';
import { connectClients, seedWarehouses, stockTable, waitForWaiting, type LiveBody, type LongPollClient } from './lib/shape-clients.ts';

const clientCount = Number(process.env.CLIENTS ?? '1000');
const warehouseCount = 10;
const itemsPerWarehouse = Number(process.env.ITEMS ?? '500');
const rate = Number(process.env.RATE ?? '5');
const durationS = Number(process.env.DURATION ?? '20');
const goals = { medianMs: 10, p99Ms: 50, rssMb: 150 };
/** After the writes, the clients are held this long with nothing written, RSS read every 10 s. */
const settleSeconds = Number(process.env.SETTLE_S ?? '30');
/** Markers start here, so the seeded reorder_point (0) is never mistaken for an update. */
const firstMarker = 1_000_000;

interface UpdateMessage {
  value?: { reorder_point?: string };
  headers?: { operation?: string };
}

runBenchmark('live-latency', async () => {
  const database = await startBenchDatabase();
  const writer = await database.client();
  const warehouses = await seedWarehouses(writer, warehouseCount, itemsPerWarehouse);
  console.log(`seeded ${warehouseCount} warehouses × ${itemsPerWarehouse} stock items`);

  const server = await startServerProcess(database.url, { profile: process.env.BENCH_PROFILE === '1' });
  const rssStart = server.memory();
  // Warm-up: one client through snapshot and a live round trip, so JIT and caches are not in the figures.
  const aborter = new AbortController();
  const [warm] = await connectClients(server, warehouses, 1, 1, aborter.signal);
  await sleep(500);
  const rssIdle = await server.memoryAfterGc();
  console.log(`server pid ${server.pid}: RSS ${fmt(rssStart.rssMb)} MB just after start, idle after a GC ${describeMemory(rssIdle)} (load ${loadAverage()})`);

  // ---- 1,000 clients: snapshots, then live.
  const sent = new Map<number, number>(); // marker → when the writer sent it
  const latencies: number[] = [];
  /** The same, measured once this process has parsed the body (includes other simulated clients' work; the method before 2026-11-25). */
  const processedLatencies: number[] = [];
  /** Per update: the first and last client's latency (the pipeline, and the fan-out spread after it). */
  const firstLast = new Map<number, { first: number; last: number }>();
  const perClient = new Map<LongPollClient, Set<number>>();
  let unexpected = 0;
  let duplicates = 0;
  const onBody = (client: LongPollClient, live: LiveBody) => {
    if (!live.body.includes('reorder_point')) return;
    const seen = perClient.get(client) ?? new Set<number>();
    perClient.set(client, seen);
    const messages = JSON.parse(live.body) as UpdateMessage[];
    const processedAt = performance.now();
    for (const message of messages) {
      const text = message.value?.reorder_point;
      if (message.headers?.operation !== 'update' || text === undefined) continue;
      const marker = Number(text);
      const at = sent.get(marker);
      if (at === undefined) continue;
      if ((marker - firstMarker) % warehouseCount !== client.warehouse) unexpected += 1;
      if (seen.has(marker)) duplicates += 1;
      seen.add(marker);
      const latency = live.receivedAt - at;
      latencies.push(latency);
      processedLatencies.push(processedAt - at);
      const seenFor = firstLast.get(marker);
      if (!seenFor) firstLast.set(marker, { first: latency, last: latency });
      else {
        seenFor.first = Math.min(seenFor.first, latency);
        seenFor.last = Math.max(seenFor.last, latency);
      }
    }
  };

  const connectStarted = performance.now();
  const clients = await connectClients(server, warehouses, clientCount, 25, aborter.signal);
  const snapshotSeconds = (performance.now() - connectStarted) / 1000;
  const badSnapshots = clients.filter((client) => client.snapshotRows !== itemsPerWarehouse).length;
  for (const client of clients) client.startLive(onBody, { timestampFirst: true });

  // ---- One official ShapeStream, a warehouse-0 picker.
  const streamSeen = new Map<number, number>();
  const stream = new ShapeStream<Row>({
    url: server.shapeUrl,
    params: { table: stockTable },
    headers: { Authorization: `Bearer ${await server.token('warehouse', { warehouse_id: warehouses.ids[0]! })}` },
    signal: aborter.signal,
  });
  const unsubscribe = stream.subscribe((messages: Message<Row>[]) => {
    const now = performance.now();
    for (const message of messages) {
      if (!isChangeMessage(message) || message.headers.operation !== 'update') continue;
      const marker = Number(message.value.reorder_point);
      const at = sent.get(marker);
      if (at !== undefined && !streamSeen.has(marker)) streamSeen.set(marker, now - at);
    }
  });

  // Every fetch loop and the ShapeStream held by the server (the warm-up client is not live).
  const waiting = await waitForWaiting(server, clientCount + 1, 60_000);
  await sleep(1000);
  const rssConnected = server.memory();
  const rssConnectedGc = await server.memoryAfterGc();
  console.log(
    `${clientCount} clients: snapshots (${itemsPerWarehouse} rows each${badSnapshots ? `, ${badSnapshots} WRONG` : ''}) in ${fmt(snapshotSeconds)} s; ` +
      `${waiting} live requests held; RSS ${fmt(rssConnected.rssMb)} MB, after a GC ${describeMemory(rssConnectedGc)} (load ${loadAverage()})`,
  );

  // ---- Baseline listener.
  const listener = await database.client();
  const notifier = await database.client();
  const notifySent = new Map<number, number>();
  const notifyLatencies: number[] = [];
  listener.on('notification', (message) => {
    const at = notifySent.get(Number(message.payload));
    if (at !== undefined) notifyLatencies.push(performance.now() - at);
  });
  await listener.query('listen bench_ping');

  // ---- Steady writer: RATE updates/s, NOTIFY pings half a period later.
  const periodMs = 1000 / rate;
  const updates = Math.round(rate * durationS);
  const cursorByWarehouse = warehouses.ids.map(() => 0);
  const transactionsBefore = await committedTransactions(writer);
  const cpuBefore = server.cpuSeconds();
  const benchCpuBefore = process.cpuUsage();
  const loadBefore = loadAverage();
  // This process receives, parses and timestamps every delivery: its own event-loop delay is part of what is measured.
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const writeStarted = performance.now();
  let lagged = 0;
  for (let i = 0; i < updates; i++) {
    const due = writeStarted + i * periodMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    else lagged += 1;
    const marker = firstMarker + i;
    const warehouse = i % warehouseCount;
    const items = warehouses.items[warehouse]!;
    const id = items[cursorByWarehouse[warehouse]!++ % items.length]!;
    sent.set(marker, performance.now());
    await writer.query('update inventory.stock_items set reorder_point = $2 where id = $1', [id, marker]);
    const half = due + periodMs / 2 - performance.now();
    if (half > 0) await sleep(half);
    notifySent.set(i, performance.now());
    await notifier.query('select pg_notify($1, $2)', ['bench_ping', String(i)]);
  }
  const writeSeconds = (performance.now() - writeStarted) / 1000;
  // Let the last changes arrive: until every expected delivery is in, or 5 s.
  const expected = updates * (clientCount / warehouseCount);
  const graceUntil = performance.now() + 5000;
  while (latencies.length < expected && performance.now() < graceUntil) await sleep(50);
  loopDelay.disable();
  const serverCpu = server.cpuSeconds() - cpuBefore;
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const transactions = (await committedTransactions(writer)) - transactionsBefore;
  const rssAfter = server.memory();
  const loadAfter = loadAverage();
  // The clients stay connected and nothing is written: what V8 and malloc give back on their own.
  const settled: { seconds: number; rssMb: number }[] = [];
  for (let waited = 0; waited < settleSeconds; waited += 10) {
    await sleep(10_000);
    settled.push({ seconds: waited + 10, rssMb: server.memory().rssMb });
  }

  // ---- Stop the clients, then the server.
  aborter.abort();
  unsubscribe();
  await Promise.all(clients.map((client) => client.stopped()));
  await warm?.stopped();
  const errors = clients.reduce((sum, client) => sum + client.stats.errors, 0);
  const lastError = clients.find((client) => client.stats.lastError)?.stats.lastError;
  await server.stop();

  // ---- Figures.
  const sorted = [...latencies].sort((a, b) => a - b);
  const processedSorted = [...processedLatencies].sort((a, b) => a - b);
  const baseline = [...notifyLatencies].sort((a, b) => a - b);
  const [p50, p99, max] = [percentile(sorted, 50), percentile(sorted, 99), sorted.at(-1) ?? Number.NaN];
  const [b50, b99] = [percentile(baseline, 50), percentile(baseline, 99)];
  const firsts = [...firstLast.values()].map((v) => v.first).sort((a, b) => a - b);
  const spreads = [...firstLast.values()].map((v) => v.last - v.first).sort((a, b) => a - b);
  const streamLatencies = [...streamSeen.values()].sort((a, b) => a - b);
  const expectedForWarehouse0 = [...sent.keys()].filter((marker) => (marker - firstMarker) % warehouseCount === 0);
  const fetchClient0 = clients.find((client) => client.warehouse === 0);
  const fetchSeen0 = (fetchClient0 && perClient.get(fetchClient0)) ?? new Set<number>();
  const streamAgrees = expectedForWarehouse0.every((marker) => streamSeen.has(marker) === fetchSeen0.has(marker)) && streamSeen.size === fetchSeen0.size;

  const table: ResultRow[] = [
    { metric: 'commit → visible, median (all deliveries)', figure: `${fmt(p50)} ms`, baseline: `NOTIFY ${fmt(b50, 2)} ms`, ratio: ratio(p50, b50), goal: `≤ ${goals.medianMs} ms`, met: met(p50 <= goals.medianMs) },
    { metric: 'commit → visible, p99', figure: `${fmt(p99)} ms`, baseline: `NOTIFY ${fmt(b99, 2)} ms`, ratio: ratio(p99, b99), goal: `≤ ${goals.p99Ms} ms`, met: met(p99 <= goals.p99Ms) },
    { metric: 'commit → visible, max', figure: `${fmt(max)} ms`, baseline: `NOTIFY ${fmt(baseline.at(-1) ?? Number.NaN, 2)} ms`, ratio: '—', goal: '—', met: '—' },
    {
      metric: '  commit → FIRST client of an update (the capture pipeline), median / p99',
      figure: `${fmt(percentile(firsts, 50))} / ${fmt(percentile(firsts, 99))} ms`,
      baseline: `NOTIFY ${fmt(b50, 2)} / ${fmt(b99, 2)} ms`,
      ratio: ratio(percentile(firsts, 50), b50),
      goal: '—',
      met: '—',
    },
    {
      metric: `  first → last of the ${clientCount / warehouseCount} clients of an update (fan-out), median / p99`,
      figure: `${fmt(percentile(spreads, 50))} / ${fmt(percentile(spreads, 99))} ms`,
      baseline: '—',
      ratio: '—',
      goal: '—',
      met: '—',
    },
    {
      metric: '  commit → parsed by this process (each client after the others that arrived with it), median / p99',
      figure: `${fmt(percentile(processedSorted, 50))} / ${fmt(percentile(processedSorted, 99))} ms`,
      baseline: '—',
      ratio: '—',
      goal: '—',
      met: '—',
    },
    { metric: 'deliveries received / expected', figure: `${latencies.length} / ${expected}`, baseline: '—', ratio: '—', goal: 'all', met: met(latencies.length === expected && unexpected === 0 && duplicates === 0) },
    {
      metric: `server RSS: idle (after GC) → ${clientCount} clients held → after writes`,
      figure: `${fmt(rssIdle.rssMb)} → ${fmt(rssConnected.rssMb)} (${fmt(rssConnectedGc.rssMb)} after GC) → ${fmt(rssAfter.rssMb)} MB`,
      baseline: '—',
      ratio: '—',
      goal: `≤ ${goals.rssMb} MB`,
      met: met(rssConnected.rssMb <= goals.rssMb && rssAfter.rssMb <= goals.rssMb),
    },
    {
      metric: `server RSS: ${clientCount} clients still held, nothing written for 10 / 20 / … s after the writes (no forced GC)`,
      figure: settled.length ? settled.map((one) => fmt(one.rssMb)).join(' / ') + ' MB' : 'not measured (SETTLE_S=0)',
      baseline: '—',
      ratio: '—',
      goal: '—',
      met: '—',
    },
    { metric: 'server RSS: just after start / peak (VmHWM)', figure: `${fmt(rssStart.rssMb)} / ${fmt(rssAfter.peakMb)} MB`, baseline: '—', ratio: '—', goal: '—', met: '—' },
    {
      metric: 'official ShapeStream (warehouse 0): seen, median',
      figure: `${streamSeen.size} / ${expectedForWarehouse0.length}, ${fmt(percentile(streamLatencies, 50))} ms`,
      baseline: '—',
      ratio: '—',
      goal: 'same as the loops',
      met: met(streamAgrees),
    },
  ];
  printTable(`live-latency: ${clientCount} clients over ${warehouseCount} warehouses, ${updates} single-row updates at ${rate}/s (load ${loadBefore} → ${loadAfter})`, table);
  console.log(
    `\nDetails: writer fell behind schedule ${lagged} time(s) in ${fmt(writeSeconds)} s; unexpected (other warehouse) deliveries ${unexpected}, duplicates ${duplicates}; ` +
      `client errors ${errors}${lastError ? ` (last: ${lastError})` : ''}; ` +
      `server CPU ${fmt(serverCpu)} s during the writes (${fmt((serverCpu * 1000) / Math.max(1, latencies.length), 3)} ms per delivery), ` +
      `this process (clients, writer, listener) ${fmt((benchCpu.user + benchCpu.system) / 1e6)} s, its event-loop delay p99 ${fmt(loopDelay.percentile(99) / 1e6)} ms, max ${fmt(loopDelay.max / 1e6)} ms; database commits during the writes ${transactions} (${fmt(transactions / updates)} per update, writer and NOTIFY included); ` +
      `p90 ${fmt(percentile(sorted, 90))} ms, p999 ${fmt(percentile(sorted, 99.9))} ms; NOTIFY samples ${baseline.length}.`,
  );
});
