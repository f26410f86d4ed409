/**
 * Slow first syncs: CLIENTS devices ask for the 100k-product snapshot at once and download it at a
 * phone's pace (one page every PAGE_DELAY_MS), while a probe asks for a small shape every 200 ms.
 * What does a slow download cost the server? Measured: the snapshot transactions Postgres holds
 * open (how many at once, the longest, their total seconds), 503s and 409s the devices got, the
 * probe's latency and errors, the server's RSS. Baseline in the same run: the same downloads at
 * full speed (no delay), and a raw Postgres select of the rows.
 *
 *   node_modules/.bin/tsx bench/slow-clients.ts     (ROWS=100000 CLIENTS=8 PAGE_DELAY_MS=1000)
 */
import type pg from 'pg';
import { seedProducts } from './lib/seed-products.ts';
import { fmt, loadAverage, median, percentile, printTable, runBenchmark, sleep, startBenchDatabase, startServerProcess, type ResultRow, type ServerProcess } from './lib/harness.ts';

const rowCount = Number(process.env.ROWS ?? '100000');
const clients = Number(process.env.CLIENTS ?? '8');
const pageDelayMs = Number(process.env.PAGE_DELAY_MS ?? '1000');

interface Download {
  rows: number;
  refused: number;
  refetched: number;
}

/** One device's first sync of catalog.products, page after page, `delayMs` between pages; starts over on a 409, waits on a 503. */
async function download(server: ServerProcess, token: string, delayMs: number): Promise<Download> {
  const headers = { Authorization: `Bearer ${token}` };
  const result: Download = { rows: 0, refused: 0, refetched: 0 };
  for (;;) {
    let url = `${server.shapeUrl}?table=catalog.products&offset=-1`;
    let rows = 0;
    let restart = false;
    for (;;) {
      const response = await fetch(url, { headers });
      if (response.status === 503) {
        result.refused++;
        await response.arrayBuffer();
        await sleep(Number(response.headers.get('retry-after') ?? '1') * 1000);
        restart = true;
        break;
      }
      if (response.status === 409) {
        result.refetched++;
        await response.arrayBuffer();
        restart = true;
        break;
      }
      if (response.status !== 200) throw new Error(`snapshot page: HTTP ${response.status} ${await response.text()}`);
      rows += ((await response.json()) as { value?: unknown }[]).filter((message) => message.value).length;
      if (response.headers.has('electric-up-to-date')) break; // the last page
      const offset = response.headers.get('electric-offset')!;
      await sleep(delayMs);
      url = `${server.shapeUrl}?table=catalog.products&offset=${offset}&handle=${encodeURIComponent(response.headers.get('electric-handle')!)}`;
    }
    if (!restart) {
      result.rows = rows;
      return result;
    }
  }
}

interface Sampled {
  /** Most snapshot transactions open at once. */
  maxOpen: number;
  /** The longest-lived one, s. */
  longestS: number;
  /** Sum over samples of open transactions × the sampling period, s. */
  transactionSeconds: number;
}

/** Samples pg_stat_activity every 100 ms for the server's snapshot transactions until `done`. */
async function sampleSnapshotTransactions(client: pg.Client, done: () => boolean): Promise<Sampled> {
  const sampled: Sampled = { maxOpen: 0, longestS: 0, transactionSeconds: 0 };
  while (!done()) {
    const { rows } = await client.query<{ open: number; longest: number | null }>(
      `select count(*)::int as open, max(extract(epoch from now() - xact_start))::float8 as longest
         from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and xact_start is not null
          and (query like 'fetch forward % from niaga_snapshot_rows' or query like 'declare niaga_snapshot_rows%' or query like 'move forward % in niaga_snapshot_rows')`,
    );
    sampled.maxOpen = Math.max(sampled.maxOpen, rows[0]!.open);
    sampled.longestS = Math.max(sampled.longestS, rows[0]!.longest ?? 0);
    sampled.transactionSeconds += rows[0]!.open * 0.1;
    await sleep(100);
  }
  return sampled;
}

interface Probed {
  latencies: number[];
  errors: number;
}

/** A small shape (50 categories, one page) asked for every 200 ms until `done`: what other users see meanwhile. */
async function probe(server: ServerProcess, token: string, done: () => boolean): Promise<Probed> {
  const probed: Probed = { latencies: [], errors: 0 };
  while (!done()) {
    const started = performance.now();
    const response = await fetch(`${server.shapeUrl}?table=catalog.categories&offset=-1`, { headers: { Authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    if (response.status === 200) probed.latencies.push(performance.now() - started);
    else probed.errors++;
    await sleep(200);
  }
  return probed;
}

interface Phase {
  wallMs: number;
  downloads: Download[];
  sampled: Sampled;
  probed: Probed;
  rssAfterMb: number;
}

async function phase(server: ServerProcess, sampler: pg.Client, token: string, delayMs: number): Promise<Phase> {
  let finished = false;
  const started = performance.now();
  const sampling = sampleSnapshotTransactions(sampler, () => finished);
  const probing = probe(server, token, () => finished);
  const downloads = await Promise.all(Array.from({ length: clients }, () => download(server, token, delayMs)));
  const wallMs = performance.now() - started;
  finished = true;
  const [sampled, probed] = await Promise.all([sampling, probing]);
  for (const result of downloads) if (result.rows !== rowCount) throw new Error(`a device got ${result.rows} rows, not ${rowCount}`);
  return { wallMs, downloads, sampled, probed, rssAfterMb: server.memory().rssMb };
}

function rows(label: string, result: Phase): ResultRow[] {
  const sum = (pick: (download: Download) => number) => result.downloads.reduce((total, download) => total + pick(download), 0);
  const latencies = [...result.probed.latencies].sort((a, b) => a - b);
  return [
    { metric: `${label}: every device has its ${fmt(rowCount, 0)} rows`, figure: `${fmt(result.wallMs / 1000, 1)} s`, baseline: '', ratio: '', goal: '', met: '' },
    { metric: `${label}: snapshot transactions open at once, most / longest / total`, figure: `${result.sampled.maxOpen} / ${fmt(result.sampled.longestS, 1)} s / ${fmt(result.sampled.transactionSeconds, 1)} s`, baseline: '', ratio: '', goal: '', met: '' },
    { metric: `${label}: 503 SNAPSHOT_BUSY / 409 restarts the devices got`, figure: `${sum((download) => download.refused)} / ${sum((download) => download.refetched)}`, baseline: '', ratio: '', goal: '', met: '' },
    {
      metric: `${label}: small shape meanwhile, median / p99 / errors`,
      figure: `${fmt(median(latencies))} / ${fmt(percentile(latencies, 99))} ms / ${result.probed.errors} (${latencies.length} answered)`,
      baseline: '',
      ratio: '',
      goal: '',
      met: '',
    },
    { metric: `${label}: server RSS after`, figure: `${fmt(result.rssAfterMb)} MB`, baseline: '', ratio: '', goal: '', met: '' },
  ];
}

runBenchmark('slow-clients', async () => {
  const database = await startBenchDatabase();
  const client = await database.client();
  const seedMs = await seedProducts(client, rowCount);
  console.log(`seeded ${fmt(rowCount, 0)} catalog.products rows in ${fmt(seedMs, 0)} ms`);
  const selectStarted = performance.now();
  await client.query({ text: 'select * from catalog.products', rowMode: 'array' });
  const selectMs = performance.now() - selectStarted;
  const server = await startServerProcess(database.url);
  const token = await server.token('admin');
  const sampler = await database.client();

  const fast = await phase(server, sampler, token, 0);
  console.log(`full speed: ${fmt(fast.wallMs, 0)} ms (load ${loadAverage()})`);
  const slow = await phase(server, sampler, token, pageDelayMs);
  console.log(`slow: ${fmt(slow.wallMs, 0)} ms (load ${loadAverage()})`);

  printTable(`slow-clients: ${clients} devices, ${fmt(rowCount, 0)} rows each, one page every ${pageDelayMs} ms (load average now ${loadAverage()})`, [
    ...rows(`slow (a page every ${pageDelayMs} ms)`, slow),
    ...rows('baseline: the same at full speed', fast),
    { metric: 'baseline: raw Postgres select of the rows', figure: `${fmt(selectMs, 0)} ms`, baseline: '', ratio: '', goal: '', met: '' },
  ]);
  console.log(`server RSS peak over both: ${fmt(server.memory().peakMb)} MB`);
  await server.stop();
});
