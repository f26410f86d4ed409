/**
 * Initial sync: 100k catalog.products rows from a fresh Postgres, through the replication leader's
 * server (child process), into a fresh Node PGlite with the official `@electric-sql/pglite-sync`
 * `syncShapeToTable`, until `onInitialSync`. Once per initialInsertMethod ('json', 'csv', 'insert'; see Method).
 *
 * Baselines in the same run: raw Postgres `select` of the same rows as text, raw PGlite
 * `COPY … FROM '/dev/blob'` of those rows into the same table. Also the server's snapshot alone
 * (an HTTP GET offset=-1, timed to the last byte) and the snapshot query it runs, replicated.
 *
 *   node_modules/.bin/tsx bench/initial-sync.ts            (ROWS=100000, BENCH_PROFILE=1 for a server CPU profile)
 */
import { PGlite } from '@electric-sql/pglite';
import { ShapeStream, type Message, type Row, type ShapeStreamOptions } from '@electric-sql/client';
import { electricSync } from '@electric-sql/pglite-sync';
import type pg from 'pg';
import { csvField, productColumns, seedProducts } from './lib/seed-products.ts';
import { fmt, loadAverage, median, met, printTable, profiled, ratio, runBenchmark, startBenchDatabase, startServerProcess, type ResultRow } from './lib/harness.ts';

const rowCount = Number(process.env.ROWS ?? '100000');
const goalMs = 2000;

const columns = productColumns;

/** The client table: the server's catalog.products columns (admin sees all), primary key only. */
const clientTable = `create table products (
  id uuid primary key, sku text not null, barcode text, name text not null, description text not null,
  category_id uuid, tags text[] not null, active boolean not null, price_minor bigint not null,
  cost_minor bigint, currency char(3) not null, unit text not null,
  created_at timestamptz not null, updated_at timestamptz not null)`;

/** Raw Postgres: the same rows, every column as text, into Node. */
async function rawSelect(client: pg.Client): Promise<{ ms: number; rows: string[][] }> {
  const started = performance.now();
  const result = await client.query<string[]>({
    text: `select ${columns.map((c) => `${c}::text`).join(', ')} from catalog.products order by id`,
    rowMode: 'array',
    types: { getTypeParser: () => (value: string) => value },
  });
  return { ms: performance.now() - started, rows: result.rows };
}

interface SnapshotGet {
  /** First page's response headers: the server sends nothing before its snapshot query has run. */
  headersMs: number;
  /** Every page, to the last byte. */
  ms: number;
  pages: number;
  bytes: number;
  parseMs: number;
  messages: number;
}

/**
 * The snapshot as a client fetches it: GET offset=-1, then the later pages (offset 0_1, 0_2, …
 * with the handle) until a response says up-to-date; timed to the last byte of the last page.
 */
async function snapshotGet(shapeUrl: string, token: string): Promise<SnapshotGet> {
  const headers = { Authorization: `Bearer ${token}` };
  const bodies: string[] = [];
  let url = `${shapeUrl}?log=full&offset=-1&table=catalog.products`;
  let headersMs = Number.NaN;
  const started = performance.now();
  for (;;) {
    const response = await fetch(url, { headers });
    if (Number.isNaN(headersMs)) headersMs = performance.now() - started;
    const body = await response.text();
    if (response.status !== 200) throw new Error(`snapshot GET answered ${response.status}: ${body.slice(0, 200)}`);
    bodies.push(body);
    if (response.headers.has('electric-up-to-date')) break;
    if (bodies.length > 1000) throw new Error('the snapshot did not end within 1000 pages');
    url = `${shapeUrl}?handle=${encodeURIComponent(response.headers.get('electric-handle') ?? '')}&log=full&offset=${response.headers.get('electric-offset') ?? ''}&table=catalog.products`;
  }
  const ms = performance.now() - started;
  const parseStarted = performance.now();
  const messages = bodies.reduce((sum, body) => sum + (JSON.parse(body) as unknown[]).length, 0);
  return { headersMs, ms, pages: bodies.length, bytes: bodies.reduce((sum, body) => sum + body.length, 0), parseMs: performance.now() - parseStarted, messages };
}

/** The official client alone (no PGlite): a ShapeStream from offset -1 to its first up-to-date, counting rows. */
async function shapeStreamOnly(shapeUrl: string, token: string): Promise<{ ms: number; rows: number }> {
  const aborter = new AbortController();
  const started = performance.now();
  const stream = new ShapeStream<Row>({ url: shapeUrl, params: { table: 'catalog.products' }, headers: { Authorization: `Bearer ${token}` }, signal: aborter.signal });
  let rows = 0;
  try {
    return await new Promise<{ ms: number; rows: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the ShapeStream was not up to date within 60 s')), 60_000);
      stream.subscribe(
        (messages: Message<Row>[]) => {
          for (const message of messages) {
            if ('key' in message) rows += 1;
            else if (message.headers.control === 'up-to-date') {
              clearTimeout(timer);
              resolve({ ms: performance.now() - started, rows });
            }
          }
        },
        (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  } finally {
    stream.unsubscribeAll();
    aborter.abort();
  }
}

/** Row count and an md5 over every row's text, in key order (not timed). */
async function tableContent(db: PGlite): Promise<{ count: number; digest: string }> {
  const { rows: [row] } = await db.query<{ n: number; digest: string | null }>(
    `select count(*)::int as n, md5(string_agg(p::text, E'\\n' order by id)) as digest from products p`,
  );
  return { count: row!.n, digest: row!.digest ?? '' };
}

/** Raw PGlite: COPY the same rows (CSV in a Blob) into the same table in a fresh instance. */
async function pgliteCopy(rows: readonly (readonly (string | null)[])[]): Promise<{ ms: number; csvMs: number; count: number; digest: string }> {
  const db = await PGlite.create();
  try {
    await db.exec(clientTable);
    const csvStarted = performance.now();
    const csv = rows.map((row) => row.map(csvField).join(',')).join('\n');
    const blob = new Blob([csv], { type: 'text/csv' });
    const csvMs = performance.now() - csvStarted;
    const started = performance.now();
    await db.query(`copy products (${columns.join(', ')}) from '/dev/blob' with (format csv)`, [], { blob });
    const ms = performance.now() - started;
    const { count, digest } = await tableContent(db);
    return { ms, csvMs, count, digest };
  } finally {
    await db.close();
  }
}

/**
 * pglite-sync's initialInsertMethod, and what the client needs for it to work on this table:
 * 'json' as is fails (the parser's int8 BigInts cannot be JSON.stringify'd), so also 'json' with
 * int8 kept as text; 'csv' as is fails (the parser turns text[] into JS arrays, which its CSV
 * writer joins with commas), so with a transformer writing arrays back as Postgres literals.
 */
type Method = 'json' | 'json, int8 as text' | 'csv, arrays as literals' | 'insert';

/** A JS array (from the client's parser) back to a Postgres array literal, for COPY. */
function pgArrayLiteral(values: readonly unknown[]): string {
  return `{${values.map((value) => (value === null ? 'NULL' : `"${(typeof value === 'string' ? value : JSON.stringify(value)).replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`;
}

function shapeOptionsFor(method: Method): Partial<Pick<ShapeStreamOptions, 'parser' | 'transformer'>> {
  if (method === 'json, int8 as text') return { parser: { int8: (value: string) => value } };
  if (method === 'csv, arrays as literals') {
    return { transformer: (row: Row) => Object.fromEntries(Object.entries(row).map(([column, value]) => [column, Array.isArray(value) ? pgArrayLiteral(value) : value])) };
  }
  return {};
}

interface SyncRun {
  method: Method;
  ms: number;
  count: number;
  /** md5 of the table's rows as text: must equal the COPY baseline's (same rows, same values). */
  digest: string;
  /** From the start to the last byte of the last response before onInitialSync (the client parses pages meanwhile). */
  downloadMs: number;
  requests: number;
  error: string | undefined;
}

type Wrap = <T>(fn: () => Promise<T>) => Promise<T>;

/**
 * pglite-sync into a fresh PGlite: wall time from syncShapeToTable() to onInitialSync. Only that
 * window runs inside `wrap` (the profiler, when asked for); creating PGlite is not timed.
 */
async function pgliteSync(shapeUrl: string, token: string, method: Method, wrap: Wrap): Promise<SyncRun> {
  const db = await PGlite.create({ extensions: { electric: electricSync() } });
  let unsubscribe: (() => void) | undefined;
  // pglite-sync applies a batch without awaiting it: a failing apply is an unhandled rejection.
  let failApply: ((error: unknown) => void) | undefined;
  const onUnhandled = (error: unknown) => failApply?.(error);
  process.on('unhandledRejection', onUnhandled);
  try {
    await db.exec(clientTable);
    let started = 0;
    let downloadMs = 0;
    let requests = 0;
    let initialSynced = false;
    // Bodies are read here, whole, as the client would next: it tells when the last byte arrived.
    const fetchClient: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const body = await response.arrayBuffer();
      if (!initialSynced) {
        downloadMs = performance.now() - started;
        requests += 1;
      }
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    };
    const shapeOptions = shapeOptionsFor(method);
    const sync = () =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no onInitialSync within 60 s')), 60_000);
        failApply = (error) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        };
        started = performance.now();
        void db.electric
          .syncShapeToTable({
            shape: { url: shapeUrl, params: { table: 'catalog.products' }, headers: { Authorization: `Bearer ${token}` }, fetchClient, ...shapeOptions },
            table: 'products',
            primaryKey: ['id'],
            shapeKey: null,
            initialInsertMethod: method === 'insert' ? 'insert' : method.startsWith('csv') ? 'csv' : 'json',
            onInitialSync: () => {
              initialSynced = true;
              clearTimeout(timer);
              resolve(performance.now() - started);
            },
            onError: (error) => {
              clearTimeout(timer);
              reject(error);
            },
          })
          .then((result) => (unsubscribe = result.unsubscribe), reject);
      });
    let ms = Number.NaN;
    let error: string | undefined;
    try {
      ms = await wrap(sync);
    } catch (caught) {
      error = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
    }
    unsubscribe?.();
    const { count, digest } = await tableContent(db);
    return { method, ms, count, digest, downloadMs, requests, error };
  } finally {
    unsubscribe?.();
    process.off('unhandledRejection', onUnhandled);
    await db.close();
  }
}

runBenchmark('initial-sync', async () => {
  const database = await startBenchDatabase();
  const client = await database.client();
  const seedMs = await seedProducts(client, rowCount);
  console.log(`seeded ${rowCount} catalog.products rows in ${fmt(seedMs, 0)} ms (one insert … select)`);

  const profile = process.env.BENCH_PROFILE === '1';
  const server = await startServerProcess(database.url, { profile });
  const token = await server.token('admin');
  console.log(`server pid ${server.pid}, RSS ${fmt(server.memory().rssMb)} MB after start`);

  // Warm-up: JIT on both sides, table in shared buffers.
  const warm = await snapshotGet(server.shapeUrl, token);
  console.log(`warm-up snapshot GET: ${fmt(warm.ms, 0)} ms, ${warm.pages} page(s)`);

  const raw: { ms: number; rows: string[][] }[] = [];
  for (let i = 0; i < 3; i++) raw.push(await rawSelect(client));
  const rawMs = median(raw.map((r) => r.ms));
  const rows = raw[0]!.rows;
  console.log(`raw select: ${raw.map((r) => fmt(r.ms, 0)).join(' / ')} ms`);


  const gets: SnapshotGet[] = [];
  for (let i = 0; i < 3; i++) gets.push(await snapshotGet(server.shapeUrl, token));
  const getMs = median(gets.map((g) => g.ms));
  const firstPageMs = median(gets.map((g) => g.headersMs));
  console.log(`snapshot GET: ${gets.map((r) => `${fmt(r.ms, 0)} (first headers ${fmt(r.headersMs, 0)})`).join(' / ')} ms`);
  const get = gets[0]!;
  if (get.messages !== rowCount + 2) throw new Error(`the snapshot had ${get.messages} messages, expected ${rowCount} rows + 2 control`);

  const streams: { ms: number; rows: number }[] = [];
  for (let i = 0; i < 2; i++) streams.push(await shapeStreamOnly(server.shapeUrl, token));
  const streamMs = median(streams.map((r) => r.ms));
  console.log(`ShapeStream alone: ${streams.map((r) => `${fmt(r.ms, 0)} ms (${r.rows} rows)`).join(' / ')}`);
  if (streams[0]!.rows !== rowCount) throw new Error(`the ShapeStream saw ${streams[0]!.rows} rows`);

  const copies: Awaited<ReturnType<typeof pgliteCopy>>[] = [];
  for (let i = 0; i < 2; i++) copies.push(await pgliteCopy(rows));
  const copyMs = median(copies.map((c) => c.ms));
  console.log(`PGlite COPY: ${copies.map((r) => fmt(r.ms, 0)).join(' / ')} ms`);
  if (copies[0]!.count !== rowCount) throw new Error(`COPY loaded ${copies[0]!.count} rows`);

  const syncs: SyncRun[] = [];
  for (const method of ['json', 'json, int8 as text', 'csv, arrays as literals', 'insert'] as const) {
    const load = loadAverage();
    const run = await pgliteSync(server.shapeUrl, token, method, (fn) => profiled(profile && method !== 'json', `Client, pglite-sync ${method}, syncShapeToTable → onInitialSync`, fn));
    syncs.push(run);
    console.log(
      `pglite-sync ${method.padEnd(23)}: ${run.error ? `FAILED (${run.error})` : `${fmt(run.ms, 0)} ms`}, ${run.count} rows in the table, ` +
        `${run.requests} request(s), last byte after ${fmt(run.downloadMs, 0)} ms, load ${load}`,
    );
  }

  const serverMemory = server.memory();
  await server.stop();

  const perSecond = (ms: number) => (rowCount / ms) * 1000;
  const table: ResultRow[] = [];
  for (const run of syncs) {
    const ok = run.error === undefined && run.count === rowCount && run.digest === copies[0]!.digest;
    table.push({
      metric: `pglite-sync initial sync, ${run.method} (wall, to onInitialSync)`,
      figure: ok ? `${fmt(run.ms, 0)} ms (${fmt(perSecond(run.ms), 0)} rows/s)` : `failed: ${run.error ?? (run.count === rowCount ? 'rows differ from the COPY baseline' : `${run.count} rows`)}`,
      baseline: `PGlite COPY ${fmt(copyMs, 0)} ms`,
      ratio: ok ? ratio(run.ms, copyMs) : '—',
      goal: `≤ ${goalMs} ms`,
      met: met(ok && run.ms <= goalMs),
    });
    if (ok) {
      table.push({
        metric: `  of which to the last byte (client parsing meanwhile) / after it (pglite-sync apply)`,
        figure: `${fmt(run.downloadMs, 0)} ms / ${fmt(run.ms - run.downloadMs, 0)} ms`,
        baseline: `snapshot GET ${fmt(getMs, 0)} ms`,
        ratio: ratio(run.downloadMs, getMs),
        goal: '—',
        met: '—',
      });
    }
  }
  table.push({
    metric: 'official ShapeStream alone, no PGlite (to up-to-date)',
    figure: `${fmt(streamMs, 0)} ms (${fmt(perSecond(streamMs), 0)} rows/s)`,
    baseline: `snapshot GET ${fmt(getMs, 0)} ms`,
    ratio: ratio(streamMs, getMs),
    goal: '—',
    met: '—',
  });
  table.push({
    metric: `server snapshot alone (GET offset=-1 + ${get.pages - 1} later pages, to last byte)`,
    figure: `${fmt(getMs, 0)} ms (${fmt(perSecond(getMs), 0)} rows/s, ${fmt(get.bytes / 1e6)} MB)`,
    baseline: `PG select ${fmt(rawMs, 0)} ms`,
    ratio: ratio(getMs, rawMs),
    goal: '—',
    met: '—',
  });
  table.push({
    metric: '  of which until the first page headers (the snapshot query)',
    figure: `${fmt(firstPageMs, 0)} ms`,
    baseline: `PG select ${fmt(rawMs, 0)} ms`,
    ratio: ratio(firstPageMs, rawMs),
    goal: '—',
    met: '—',
  });
  table.push({ metric: 'raw Postgres select of the rows as text', figure: `${fmt(rawMs, 0)} ms (${fmt(perSecond(rawMs), 0)} rows/s)`, baseline: '(baseline)', ratio: '—', goal: '—', met: '—' });
  table.push({ metric: 'raw PGlite COPY FROM /dev/blob (CSV)', figure: `${fmt(copyMs, 0)} ms (${fmt(perSecond(copyMs), 0)} rows/s)`, baseline: '(baseline)', ratio: '—', goal: '—', met: '—' });
  printTable(`initial-sync: ${rowCount} catalog.products rows (load average now ${loadAverage()})`, table);
  console.log(
    `\nDetails: ${get.pages} snapshot page(s); plain JSON.parse of all pages ${fmt(get.parseMs, 0)} ms; CSV build for COPY ${fmt(copies[0]!.csvMs, 0)} ms (not in the COPY figure); ` +
      `server RSS ${fmt(serverMemory.rssMb)} MB, peak ${fmt(serverMemory.peakMb)} MB; all runs: select ${raw.map((r) => fmt(r.ms, 0)).join('/')} ms, ` +
      `GET ${gets.map((g) => fmt(g.ms, 0)).join('/')} ms, COPY ${copies.map((c) => fmt(c.ms, 0)).join('/')} ms.`,
  );
});
