/**
 * Field apps' first sync (issue 6's speed goals): each PWA built with Vite as it ships, served by
 * the production server (child process over a private Postgres with logical-replication capture)
 * seeded with the small demo company, opened in the system Chromium on a fresh profile each run.
 *
 * Timed, per app and run:
 * - first sync: from the click on "Log in" until the app's sections show (login, every shape's
 *   snapshot into the device database, the render). Goal ≤ 3 s. Rows: what the app reports on its
 *   console when the first sync has committed.
 * - baseline, same run and page: the same user's snapshots of the same tables fetched with plain
 *   fetch() and parsed (the server and the wire, with no device database): the floor of a first sync.
 * - ready: from the same click until the first screen's data shows.
 * - offline open: with the service worker in control and the network off, a reload until the app
 *   shell shows (the app's own first render, from the service worker's cache), until the device
 *   database is open (sections) and until the first screen's data shows. Goal ≤ 1 s (app shell).
 *
 *   node_modules/.bin/tsx bench/field-app-first-sync.ts      (APPS=agent,warehouse RUNS=5)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDemoCompany } from '@niaga/domain/demo';
import { launchChromium } from '@niaga/testing';
import { agentTables } from '../clients/agent/src/synced-tables.ts';
import { warehouseTables } from '../clients/warehouse/src/local-db.ts';
import { fmt, median, met, onCleanup, printTable, ratio, repoRoot, runBenchmark, startBenchDatabase, startServerProcess, type ResultRow } from './lib/harness.ts';

const runs = Number(process.env.RUNS ?? '5');
const apps = (process.env.APPS ?? 'agent,warehouse').split(',');
const password = 'niaga-demo';
const firstSyncGoalMs = 3000;
const offlineOpenGoalMs = 1000;

type Browser = Awaited<ReturnType<typeof launchChromium>>;
type Page = Awaited<ReturnType<Browser['newPage']>>;

interface FieldAppUnderTest {
  readonly name: string;
  readonly email: string;
  readonly description: string;
  readonly tables: readonly string[];
  /** The first screen's data, shown. */
  readonly firstData: (page: Page) => ReturnType<Page['locator']>;
}

const fieldApps: Record<string, FieldAppUnderTest> = {
  agent: {
    name: 'agent',
    email: 'agent1@niaga.test',
    description: 'Agent app (Chromium, PGlite in IndexedDB, small demo company, agent1 in territory 1)',
    tables: agentTables,
    firstData: (page) => page.getByRole('region', { name: 'Route' }).getByRole('listitem').first(),
  },
  warehouse: {
    name: 'warehouse',
    email: 'picker1@niaga.test',
    description: 'Warehouse app (Chromium, Dexie on IndexedDB, small demo company, picker1 at WH-1)',
    tables: warehouseTables,
    firstData: (page) => page.getByRole('list', { name: 'To pick' }).getByRole('listitem').first(),
  },
};

/** `vite build` of clients/<name> into `outDir`, as its package's build script runs it. */
async function buildApp(name: string, outDir: string): Promise<void> {
  const appRoot = join(repoRoot, 'clients', name);
  const child = spawn(join(appRoot, 'node_modules', '.bin', 'vite'), ['build', '--configLoader', 'runner', '--logLevel', 'warn'], {
    cwd: appRoot,
    env: { ...process.env, NODE_ENV: 'production', NIAGA_APP_OUT_DIR: outDir },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`vite build of the ${name} app failed (exit ${code})`);
}

/**
 * The baseline: the user's snapshots of `tables` (and the two sync tables every device syncs)
 * fetched in parallel with plain fetch() in the page, every page of each, bodies parsed.
 */
function fetchSnapshots(page: Page, tables: readonly string[], accessToken: string): Promise<{ ms: number; rows: number }> {
  return page.evaluate(
    `(async ([tables, token]) => {
      const started = performance.now();
      const counts = await Promise.all(tables.map(async (table) => {
        let offset = '-1', handle = '', rows = 0;
        for (;;) {
          const url = '/v1/shape?table=' + table + '&replica=full&offset=' + offset + (handle ? '&handle=' + handle : '');
          const response = await fetch(url, { headers: { Authorization: 'Bearer ' + token } });
          const body = await response.json();
          rows += body.filter((message) => message.value).length;
          handle = response.headers.get('electric-handle');
          offset = response.headers.get('electric-offset');
          if (response.headers.has('electric-up-to-date')) return rows;
        }
      }));
      return { ms: performance.now() - started, rows: counts.reduce((a, b) => a + b, 0) };
    })(${JSON.stringify([[...tables, 'sync.clients', 'sync.mutation_results'], accessToken])})`,
  );
}

interface Run {
  firstSyncMs: number;
  rows: number;
  baselineMs: number;
  baselineRows: number;
  readyMs: number;
  offlineShellMs: number;
  offlineOpenMs: number;
  offlineReadyMs: number;
}

async function oneRun(browser: Browser, origin: string, app: FieldAppUnderTest): Promise<Run> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    let rows = Number.NaN;
    page.on('console', (message) => {
      const reported = /\[niaga\] first sync: (\d+) rows/.exec(message.text());
      if (reported) rows = Number(reported[1]);
    });
    await page.goto(`${origin}/${app.name}/`);
    await page.getByLabel('Email').fill(app.email);
    await page.getByLabel('Password').fill(password);
    const sections = page.getByRole('navigation', { name: 'Sections' });
    const started = performance.now();
    await page.getByRole('button', { name: 'Log in' }).click();
    await sections.waitFor({ timeout: 60_000 });
    const firstSyncMs = performance.now() - started;
    await app.firstData(page).waitFor({ timeout: 30_000 });
    const readyMs = performance.now() - started;

    const login = await fetch(`${origin}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: app.email, password }) });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const baseline = await fetchSnapshots(page, app.tables, accessToken);

    // Controlled by the service worker (the first visit only installs it), then offline.
    await page.evaluate('navigator.serviceWorker.ready.then(() => true)');
    await page.reload();
    await sections.waitFor();
    if (!(await page.evaluate('navigator.serviceWorker.controller !== null'))) throw new Error('The service worker does not control the page after a reload');
    await context.setOffline(true);
    const reloading = performance.now();
    await page.reload({ waitUntil: 'commit' });
    await page.locator('#root > *').first().waitFor();
    const offlineShellMs = performance.now() - reloading;
    await sections.waitFor();
    const offlineOpenMs = performance.now() - reloading;
    await app.firstData(page).waitFor();
    const offlineReadyMs = performance.now() - reloading;
    return { firstSyncMs, rows, baselineMs: baseline.ms, baselineRows: baseline.rows, readyMs, offlineShellMs, offlineOpenMs, offlineReadyMs };
  } finally {
    await context.close();
  }
}

runBenchmark('field-app-first-sync', async () => {
  const database = await startBenchDatabase();
  const seeding = performance.now();
  await seedDemoCompany(database.db, { scale: 'small', seed: 42, password });
  console.log(`small demo company seeded in ${fmt((performance.now() - seeding) / 1000)} s`);

  const appsDir = mkdtempSync(join(tmpdir(), 'niaga-bench-apps-'));
  onCleanup(async () => rmSync(appsDir, { recursive: true, force: true }));
  for (const name of apps) {
    const building = performance.now();
    await buildApp(name, join(appsDir, name));
    console.log(`${name} app built in ${fmt((performance.now() - building) / 1000)} s`);
  }

  const server = await startServerProcess(database.url, { config: { NIAGA_APPS_DIR: appsDir } });
  onCleanup(() => server.stop());
  const browser = await launchChromium();
  onCleanup(() => browser.close());

  for (const name of apps) {
    const app = fieldApps[name];
    if (!app) throw new Error(`APPS: unknown app "${name}" (agent, warehouse)`);
    // One unmeasured run: Chromium's and the server's first-use costs (JIT, caches, argon2 warm-up).
    await oneRun(browser, server.baseUrl, app);
    const results: Run[] = [];
    for (let run = 1; run <= runs; run++) {
      const result = await oneRun(browser, server.baseUrl, app);
      results.push(result);
      console.log(
        `${name} run ${run}: first sync ${fmt(result.firstSyncMs, 0)} ms (${result.rows.toLocaleString('en-US')} rows), baseline fetch ${fmt(result.baselineMs, 0)} ms (${result.baselineRows.toLocaleString('en-US')} rows), ready ${fmt(result.readyMs, 0)} ms; offline open: shell ${fmt(result.offlineShellMs, 0)} ms, database ${fmt(result.offlineOpenMs, 0)} ms, data ${fmt(result.offlineReadyMs, 0)} ms`,
      );
    }
    const m = (pick: (run: Run) => number) => median(results.map(pick));
    const firstSync = m((run) => run.firstSyncMs);
    const baseline = m((run) => run.baselineMs);
    const rows = m((run) => run.rows);
    const table: ResultRow[] = [
      { metric: `first sync, login → sections (median of ${runs})`, figure: `${fmt(firstSync, 0)} ms`, baseline: `${fmt(baseline, 0)} ms (plain fetch of the snapshots)`, ratio: ratio(firstSync, baseline), goal: `≤ ${firstSyncGoalMs} ms`, met: met(firstSync <= firstSyncGoalMs) },
      { metric: 'rows on the device / rate', figure: `${rows.toLocaleString('en-US')} rows, ${fmt(rows / (firstSync / 1000), 0)} rows/s`, baseline: `${fmt(m((run) => run.baselineRows), 0)} rows, ${fmt(m((run) => run.baselineRows) / (baseline / 1000), 0)} rows/s`, ratio: '—', goal: '—', met: '—' },
      { metric: 'login → first screen with data', figure: `${fmt(m((run) => run.readyMs), 0)} ms`, baseline: '—', ratio: '—', goal: `≤ ${firstSyncGoalMs} ms`, met: met(m((run) => run.readyMs) <= firstSyncGoalMs) },
      { metric: 'offline reload → app shell (first render)', figure: `${fmt(m((run) => run.offlineShellMs), 0)} ms`, baseline: '—', ratio: '—', goal: `≤ ${offlineOpenGoalMs} ms`, met: met(m((run) => run.offlineShellMs) <= offlineOpenGoalMs) },
      { metric: 'offline reload → device database open (sections)', figure: `${fmt(m((run) => run.offlineOpenMs), 0)} ms`, baseline: '—', ratio: '—', goal: '—', met: '—' },
      { metric: 'offline reload → first screen with data', figure: `${fmt(m((run) => run.offlineReadyMs), 0)} ms`, baseline: '—', ratio: '—', goal: '—', met: '—' },
    ];
    printTable(app.description, table);
  }
});
