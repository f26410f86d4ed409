/**
 * Client library initial sync (issue 5's first speed goal): a picker's device syncs ~100k rows
 * (50 categories, ROWS products, its warehouse, and the two sync tables, which are empty here)
 * through `createSyncClient({...}).ready()` from the production server (child process over a
 * private Postgres with logical-replication capture), once into the PGlite store and once into
 * the Dexie store on fake-indexeddb, in this Node process.
 *
 * Baseline in the same run: raw PGlite `COPY … FROM '/dev/blob'` (CSV) of the same rows and
 * columns into the tables the PGlite store creates, in a fresh PGlite from the same template, in
 * one transaction. Goal: the library's rows/s ≥ 0.6 × the COPY's.
 *
 * Timed for the library: from `createSyncClient()` to `ready()` resolving. Included: loading the
 * session and the device ids from the store, the HTTP requests of every shape (the server builds
 * the snapshots meanwhile), the official client's JSON parse and value parsing, the aligner,
 * creating the local tables (ensureTables) and the one local transaction that writes every row.
 * Not timed: opening the store (PGlite from a dumped empty database, or a new fake IndexedDB).
 * Timed for COPY: the COPY statements and their commit only; the rows are read from Postgres as
 * text and made into CSV blobs beforehand (not timed), and opening PGlite and creating the
 * tables are not timed either.
 *
 * The library time is split with a timing wrapper around the store (the local transactions and
 * putMany inside them) and around fetch (when each response's last byte arrived).
 * Context, not baselines for the goal, in the same run: the server's snapshot alone (the same
 * GETs, bodies read, no parsing), and the official ShapeStreams alone (the same shapes and
 * parser, no aligner, no store) until up to date.
 *
 *   node_modules/.bin/tsx bench/client-initial-sync.ts     (ROWS=100000 RUNS=3 STORES=pglite,dexie BUNDLED=1 BENCH_PROFILE=1)
 *
 * The library is bundled by esbuild first, as apps ship it; BUNDLED=0 runs it from source
 * through tsx (see lib/client-library.ts).
 *
 * BENCH_PROFILE=1 CPU-profiles this process during one extra library run per store and prints its
 * hottest functions (the server has its own process and is not in it). BENCH_TIMELINE=1 prints
 * each request (sent, headers, last byte) and each local transaction, in ms from createSyncClient().
 */
import { randomUUID } from 'node:crypto';
import { ShapeStream, type Message, type Row } from '@electric-sql/client';
import type { PGlite } from '@electric-sql/pglite';
import type { LocalStore, StoreTx, TableSpec } from '@niaga/sync';
import { clientLibrary, libraryBuild } from './lib/client-library.ts';
import type pg from 'pg';
import { collectGarbage, contentDigest, openRawPglite, openStore, pgliteTemplate, type StoreKind } from './lib/client-stores.ts';
import { fmt, loadAverage, median, met, printTable, profiled, runBenchmark, startBenchDatabase, startServerProcess, type ResultRow } from './lib/harness.ts';
import { csvField, seedProducts } from './lib/seed-products.ts';

const rowCount = Number(process.env.ROWS ?? '100000');
const runs = Number(process.env.RUNS ?? '3');
const kinds = (process.env.STORES ?? 'pglite,dexie').split(',').filter((kind): kind is StoreKind => kind === 'pglite' || kind === 'dexie');
const profile = process.env.BENCH_PROFILE === '1';
const goalRatio = 0.6;
/** BENCH_TIMELINE=1 prints each request (sent, headers, last byte) and each local transaction as it happens. */
const timeline = process.env.BENCH_TIMELINE === '1';
/** The picker app's tables with data (sync.clients and sync.mutation_results are added by the library; empty here). */
const tables = ['catalog.categories', 'catalog.products', 'inventory.warehouses'];

interface Span {
  start: number;
  end: number;
}

/** What one library run spent where (ms from createSyncClient()). */
interface LibraryRun {
  kind: StoreKind;
  totalMs: number;
  /** The last byte of the last response before ready (snapshot pages; the client parses pages meanwhile). */
  lastByteMs: number;
  requests: number;
  bytes: number;
  /** Local transactions and ensureTables calls, in order. */
  transactions: (Span & { putMs: number; putRows: number })[];
  ensure: Span[];
  rows: number;
  /** The highest V8 heap in use seen during the run (sampled every 10 ms), MB. */
  peakHeapMB: number;
}

/** The store, with each transaction, ensureTables call and putMany timed. */
function timedStore(store: LocalStore, at: () => number, run: Pick<LibraryRun, 'transactions' | 'ensure'>): LocalStore {
  return {
    kind: store.kind,
    async ensureTables(specs) {
      const start = at();
      await store.ensureTables(specs);
      run.ensure.push({ start, end: at() });
    },
    tables: () => store.tables(),
    async transaction(work) {
      const record = { start: at(), end: 0, putMs: 0, putRows: 0 };
      const result = await store.transaction((tx) => work(timedTx(tx, at, record)));
      record.end = at();
      if (timeline) console.log(`  transaction ${fmt(record.start)}–${fmt(record.end)} ms, ${record.putRows} rows (putMany ${fmt(record.putMs)} ms)`);
      run.transactions.push(record);
      return result;
    },
    subscribe: (listener) => store.subscribe(listener),
    close: () => store.close(),
  };
}

function timedTx(tx: StoreTx, at: () => number, record: { putMs: number; putRows: number }): StoreTx {
  const timed = Object.create(tx) as StoreTx;
  timed.putMany = async (table, rows) => {
    const start = at();
    await tx.putMany(table, rows);
    record.putMs += at() - start;
    record.putRows += rows.length;
  };
  return timed;
}

/** One library run into a new store: createSyncClient → ready(), with its split. The store is returned open, for the checks. */
async function librarySync(kind: StoreKind, template: Blob, baseUrl: string, token: string, wrap: <T>(fn: () => Promise<T>) => Promise<T>): Promise<{ run: LibraryRun; store: LocalStore }> {
  const store = await openStore(kind, template);
  collectGarbage();
  let started = 0;
  const at = () => performance.now() - started;
  const run: LibraryRun = { kind, totalMs: Number.NaN, lastByteMs: 0, requests: 0, bytes: 0, transactions: [], ensure: [], rows: 0, peakHeapMB: 0 };
  let ready = false;
  // Bodies are read here, whole (the client reads them whole too): it tells when the last byte arrived.
  const timedFetch: typeof fetch = async (input, init) => {
    const sent = at();
    const response = await fetch(input, init);
    const headers = at();
    const body = await response.arrayBuffer();
    if (timeline && !ready) console.log(`  request ${fmt(sent)}–${fmt(headers)}–${fmt(at())} ms ${(body.byteLength / 1e6).toFixed(1)} MB ${(input instanceof Request ? input.url : (input instanceof URL ? input.href : input)).replace(/^.*\?/, '').slice(0, 90)}`);
    if (!ready) {
      run.lastByteMs = at();
      run.requests += 1;
      run.bytes += body.byteLength;
    }
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  const timed = timedStore(store, at, run);
  const sync = async () => {
    started = performance.now();
    const heapBefore = process.memoryUsage().heapUsed;
    const sampler = setInterval(() => (run.peakHeapMB = Math.max(run.peakHeapMB, (process.memoryUsage().heapUsed - heapBefore) / 1e6)), 10);
    const client = await clientLibrary.createSyncClient({ serverURL: baseUrl, store: timed, tables, session: { accessToken: token, refreshToken: 'unused' }, fetch: timedFetch });
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        client.ready(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${kind}: not ready within 300 s (status ${JSON.stringify(client.status)})`)), 300_000))),
      ]);
      run.totalMs = at();
      ready = true;
      return client;
    } finally {
      clearTimeout(timer);
      clearInterval(sampler);
    }
  };
  const client = await wrap(sync);
  run.rows = client.status.initialSync.rows;
  await client.stop();
  return { run, store };
}

/** The same rows as the library syncs, as CSV blobs per table, with the columns the shapes had. */
async function csvOf(client: pg.Client, specs: readonly TableSpec[]): Promise<{ table: string; columns: string[]; blob: Blob; rows: number }[]> {
  const out: { table: string; columns: string[]; blob: Blob; rows: number }[] = [];
  for (const spec of specs) {
    const columns = spec.columns.map((column) => column.name);
    const filter = spec.name === 'inventory.warehouses' ? ` where id = '${warehouseID}'` : '';
    const result = await client.query<string[]>({
      text: `select ${columns.map((column) => `${ident(column)}::text`).join(', ')} from ${spec.name}${filter} order by id`,
      rowMode: 'array',
      types: { getTypeParser: () => (value: string) => value },
    });
    if (result.rows.length === 0) continue;
    const csv = result.rows.map((row) => row.map(csvField).join(',')).join('\n');
    out.push({ table: spec.name, columns, blob: new Blob([csv], { type: 'text/csv' }), rows: result.rows.length });
  }
  return out;
}

/** Raw PGlite COPY of the blobs into a fresh PGlite with the store's tables, in one transaction. Returns the db open for the checks. */
async function rawCopy(template: Blob, specs: readonly TableSpec[], blobs: Awaited<ReturnType<typeof csvOf>>): Promise<{ ms: number; rows: number; db: PGlite; store: LocalStore }> {
  const { db, store } = await openRawPglite(template);
  await store.ensureTables(specs);
  collectGarbage();
  const started = performance.now();
  await db.transaction(async (tx) => {
    for (const { table, columns, blob } of blobs) await tx.query(`copy ${qualified(table)} (${columns.map(ident).join(', ')}) from '/dev/blob' with (format csv)`, [], { blob });
  });
  const ms = performance.now() - started;
  return { ms, rows: blobs.reduce((sum, blob) => sum + blob.rows, 0), db, store };
}

/**
 * The server's snapshot alone: every table's GET offset=-1 and later pages, the tables in parallel
 * as the library asks them, bodies read but not parsed (timed); then, not in that time, a plain
 * JSON.parse of every body (what parsing costs without the official client's per-value work).
 */
async function snapshotGets(baseUrl: string, token: string): Promise<{ ms: number; bytes: number; parseMs: number }> {
  const started = performance.now();
  const bodies: string[] = [];
  await Promise.all(
    [...tables, 'sync.clients', 'sync.mutation_results'].map(async (table) => {
      let url = `${baseUrl}/v1/shape?table=${table}&replica=full&offset=-1`;
      for (let page = 0; page < 1000; page++) {
        const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
        const body = await response.text();
        if (response.status !== 200) throw new Error(`snapshot GET of ${table} answered ${response.status}: ${body.slice(0, 200)}`);
        bodies.push(body);
        if (response.headers.has('electric-up-to-date')) return;
        url = `${baseUrl}/v1/shape?table=${table}&replica=full&handle=${encodeURIComponent(response.headers.get('electric-handle') ?? '')}&offset=${response.headers.get('electric-offset') ?? ''}`;
      }
      throw new Error(`the snapshot of ${table} did not end within 1000 pages`);
    }),
  );
  const ms = performance.now() - started;
  const parseStarted = performance.now();
  for (const body of bodies) JSON.parse(body);
  return { ms, bytes: bodies.reduce((sum, body) => sum + body.length, 0), parseMs: performance.now() - parseStarted };
}

/**
 * The official client alone, as the library opens it (one ShapeStream per table, replica=full,
 * int8 as numbers), with no aligner and no store: from the start until every stream is up to date.
 */
async function shapeStreamsAlone(baseUrl: string, token: string): Promise<{ ms: number; rows: number }> {
  const aborter = new AbortController();
  const started = performance.now();
  let rows = 0;
  try {
    await Promise.all(
      [...tables, 'sync.clients', 'sync.mutation_results'].map(
        (table) =>
          new Promise<void>((resolve, reject) => {
            const stream = new ShapeStream<Row>({ url: `${baseUrl}/v1/shape`, params: { table, replica: 'full' }, headers: { Authorization: `Bearer ${token}` }, parser: { int8: (value: string) => Number(value) }, signal: aborter.signal });
            stream.subscribe(
              (messages: Message<Row>[]) => {
                for (const message of messages) {
                  if ('key' in message) rows += 1;
                  else if (message.headers.control === 'up-to-date') resolve();
                }
              },
              (error: Error) => reject(error),
            );
          }),
      ),
    );
    return { ms: performance.now() - started, rows };
  } finally {
    aborter.abort();
  }
}

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function qualified(table: string): string {
  const dot = table.indexOf('.');
  return `${ident(table.slice(0, dot))}.${ident(table.slice(dot + 1))}`;
}

const warehouseID = randomUUID();
const noWrap = <T>(fn: () => Promise<T>) => fn();

/**
 * Where one run's time went. The rows are written in several local transactions (a first sync
 * writes each snapshot page as it arrives, then the first commit writes the rest and the cursors).
 */
function splitOf(run: LibraryRun) {
  const spans = (list: readonly Span[]) => list.reduce((sum, span) => sum + (span.end - span.start), 0);
  const firstCommit = run.transactions.at(-1)!;
  return {
    ensureMs: spans(run.ensure),
    /** Every local transaction, the first commit included. */
    writesMs: spans(run.transactions),
    putMs: run.transactions.reduce((sum, tx) => sum + tx.putMs, 0),
    putRows: run.transactions.reduce((sum, tx) => sum + tx.putRows, 0),
    firstCommitMs: firstCommit.end - firstCommit.start,
    /** From the last byte of the last snapshot response to ready(). */
    afterLastByteMs: run.totalMs - run.lastByteMs,
  };
}

runBenchmark('client-initial-sync', async () => {
  const database = await startBenchDatabase();
  const pgClient = await database.client();
  const seedMs = await seedProducts(pgClient, rowCount);
  await pgClient.query(`insert into inventory.warehouses (id, code, name) values ($1, 'WH-1', 'Main')`, [warehouseID]);
  console.log(`seeded ${rowCount} catalog.products rows, 50 categories and 1 warehouse in ${fmt(seedMs, 0)} ms`);

  const server = await startServerProcess(database.url);
  const token = await server.token('warehouse', { warehouse_id: warehouseID });
  const template = await pgliteTemplate();
  console.log(`client library ${libraryBuild}; server pid ${server.pid}; picker syncs ${tables.join(', ')} (+ sync.clients, sync.mutation_results); stores: ${kinds.join(', ')}; ${runs} run(s) each`);

  // Warm-up (JIT on both sides, Postgres buffers), and the tables the store creates, for the COPY baseline.
  const warm = await librarySync('pglite', template, server.baseUrl, token, noWrap);
  const specs = (await warm.store.tables()).filter((spec) => tables.includes(spec.name));
  const expected = new Map<string, { rows: number; digest: string }>();
  for (const spec of specs) expected.set(spec.name, await contentDigest(warm.store, spec.name));
  await warm.store.close();
  console.log(`warm-up (pglite): ${fmt(warm.run.totalMs, 0)} ms, ${warm.run.rows} rows; columns of catalog.products: ${specs.find((spec) => spec.name === 'catalog.products')?.columns.length ?? 0}`);

  const blobs = await csvOf(pgClient, specs);
  const totalRows = blobs.reduce((sum, blob) => sum + blob.rows, 0);
  for (const { table, rows } of blobs) if (rows !== expected.get(table)?.rows) throw new Error(`${table}: Postgres has ${rows} rows, the warm-up store ${expected.get(table)?.rows}`);

  const copies: number[] = [];
  const gets: number[] = [];
  const streams: number[] = [];
  const parses: number[] = [];
  const library = new Map<StoreKind, LibraryRun[]>(kinds.map((kind) => [kind, []]));
  const loads: string[] = [];
  let checked = 0;
  for (let round = 1; round <= runs; round++) {
    loads.push(loadAverage());
    const copy = await rawCopy(template, specs, blobs);
    for (const spec of specs) {
      const content = await contentDigest(copy.store, spec.name);
      if (content.digest !== expected.get(spec.name)?.digest) throw new Error(`COPY baseline: ${spec.name} differs from the synced rows (${content.rows} rows)`);
    }
    await copy.store.close();
    copies.push(copy.ms);
    const get = await snapshotGets(server.baseUrl, token);
    gets.push(get.ms);
    parses.push(get.parseMs);
    collectGarbage();
    const alone = await shapeStreamsAlone(server.baseUrl, token);
    if (alone.rows !== totalRows) throw new Error(`the ShapeStreams alone saw ${alone.rows} rows`);
    streams.push(alone.ms);
    let line = `round ${round} (load ${loadAverage()}): COPY ${fmt(copy.ms, 0)} ms (${copy.rows} rows); server snapshot alone ${fmt(get.ms, 0)} ms (${fmt(get.bytes / 1e6)} MB, plain JSON.parse ${fmt(get.parseMs, 0)} ms); ShapeStreams alone ${fmt(alone.ms, 0)} ms`;
    for (const kind of kinds) {
      const { run, store } = await librarySync(kind, template, server.baseUrl, token, noWrap);
      for (const spec of specs) {
        const content = await contentDigest(store, spec.name);
        if (content.rows !== expected.get(spec.name)?.rows || content.digest !== expected.get(spec.name)?.digest) throw new Error(`${kind}: ${spec.name} has ${content.rows} rows that differ from the COPY baseline's`);
        checked += content.rows;
      }
      await store.close();
      library.get(kind)!.push(run);
      const split = splitOf(run);
      line += `\n  ${kind.padEnd(6)} ${fmt(run.totalMs, 0)} ms: last byte ${fmt(run.lastByteMs, 0)}, then ${fmt(split.afterLastByteMs, 0)} to ready; local transactions ${fmt(split.writesMs, 0)} in all (${run.transactions.length}; putMany ${fmt(split.putMs, 0)} for ${split.putRows} rows; the first commit ${fmt(split.firstCommitMs, 0)}), ensureTables ${fmt(split.ensureMs, 0)}; peak heap +${fmt(run.peakHeapMB, 0)} MB; ${run.requests} requests`;
    }
    console.log(line);
  }
  if (profile) {
    for (const kind of kinds) {
      const { store } = await librarySync(kind, template, server.baseUrl, token, (fn) => profiled(true, `Client (${kind}), createSyncClient → ready`, fn));
      await store.close();
    }
  }
  await server.stop();

  const copyMs = median(copies);
  const copyRate = (totalRows / copyMs) * 1000;
  const rate = (ms: number) => (totalRows / ms) * 1000;
  const table: ResultRow[] = [];
  for (const kind of kinds) {
    const kindRuns = library.get(kind)!;
    const ms = median(kindRuns.map((run) => run.totalMs));
    const libraryRate = rate(ms);
    table.push({
      metric: `initial sync through the library, ${kind === 'pglite' ? 'PGlite store' : 'Dexie store (fake-indexeddb)'} (createSyncClient → ready)`,
      figure: `${fmt(libraryRate, 0)} rows/s (${fmt(ms, 0)} ms; runs ${kindRuns.map((run) => fmt(run.totalMs, 0)).join(' / ')})`,
      baseline: `PGlite COPY ${fmt(copyRate, 0)} rows/s (${fmt(copyMs, 0)} ms)`,
      ratio: `×${fmt(libraryRate / copyRate, 2)} of COPY`,
      goal: `≥ ×${goalRatio} of COPY`,
      met: met(libraryRate >= goalRatio * copyRate),
    });
    const splits = kindRuns.map(splitOf);
    const part = (pick: (split: ReturnType<typeof splitOf>) => number) => fmt(median(splits.map(pick)), 0);
    table.push({
      metric: `  ${kind}: local transactions in all (${splits[0]?.putRows ?? 0} rows) / of which putMany / the first commit / last byte → ready`,
      figure: `${part((s) => s.writesMs)} / ${part((s) => s.putMs)} / ${part((s) => s.firstCommitMs)} / ${part((s) => s.afterLastByteMs)} ms (putMany ${fmt(median(splits.map((s) => (s.putRows / s.putMs) * 1000)), 0)} rows/s)`,
      baseline: `PGlite COPY ${fmt(copyMs, 0)} ms`,
      ratio: `putMany ×${fmt(median(splits.map((s) => s.putMs)) / copyMs, 2)} of COPY time`,
      goal: '—',
      met: '—',
    });
    table.push({
      metric: `  ${kind}: peak V8 heap added during the sync (sampled every 10 ms)`,
      figure: `${fmt(median(kindRuns.map((run) => run.peakHeapMB)), 0)} MB (runs ${kindRuns.map((run) => fmt(run.peakHeapMB, 0)).join(' / ')})`,
      baseline: `${fmt((kindRuns[0]?.bytes ?? 0) / 1e6)} MB of JSON received`,
      ratio: '—',
      goal: '—',
      met: '—',
    });
    table.push({
      metric: `  ${kind}: last byte of the last snapshot response`,
      figure: `${fmt(median(kindRuns.map((run) => run.lastByteMs)), 0)} ms (${kindRuns[0]?.requests ?? 0} requests, ${fmt((kindRuns[0]?.bytes ?? 0) / 1e6)} MB)`,
      baseline: `server snapshot alone ${fmt(median(gets), 0)} ms`,
      ratio: '—',
      goal: '—',
      met: '—',
    });
  }
  table.push({ metric: 'raw PGlite COPY FROM /dev/blob (CSV), one transaction', figure: `${fmt(copyRate, 0)} rows/s (${fmt(copyMs, 0)} ms; runs ${copies.map((ms) => fmt(ms, 0)).join(' / ')})`, baseline: '(baseline)', ratio: '—', goal: '—', met: '—' });
  table.push({ metric: 'official ShapeStreams alone, same shapes and parser, no store (to up-to-date)', figure: `${fmt(median(streams), 0)} ms (runs ${streams.map((ms) => fmt(ms, 0)).join(' / ')})`, baseline: '(context)', ratio: '—', goal: '—', met: '—' });
  table.push({ metric: 'plain JSON.parse of those bodies (no per-value parsing)', figure: `${fmt(median(parses), 0)} ms (runs ${parses.map((ms) => fmt(ms, 0)).join(' / ')})`, baseline: '(context)', ratio: '—', goal: '—', met: '—' });
  table.push({ metric: 'server snapshot alone (same GETs, bodies read, not parsed)', figure: `${fmt(median(gets), 0)} ms (runs ${gets.map((ms) => fmt(ms, 0)).join(' / ')})`, baseline: '(context)', ratio: '—', goal: '—', met: '—' });
  printTable(`client-initial-sync: ${totalRows} rows (${rowCount} products), medians of ${runs} run(s) (load average now ${loadAverage()}; at each round's start ${loads.join(' | ')})`, table);
  console.log(`\nChecks: every library run's tables equal the COPY baseline's row for row (${checked} rows compared); the warm-up run is not in the figures.`);
});
