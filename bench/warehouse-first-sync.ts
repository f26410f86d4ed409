/**
 * Warehouse app first sync (issue 6's speed goals): the picker PWA, built with Vite as it ships,
 * served by the production server (child process over a private Postgres with logical-replication
 * capture) seeded with the small demo company, opened in the system Chromium. picker1 logs in on a
 * fresh browser profile, RUNS times.
 *
 * Timed, per run:
 * - first sync: from the click on "Log in" until the app's sections show (the login request, every
 *   shape's snapshot into IndexedDB through the Dexie store, the React render). Goal ≤ 3 s.
 * - ready: the same start until the pick lists (the first screen's data) show.
 * - offline open: after the service worker controls the page and the network is off, a reload
 *   until the sections show, and until the pick lists show. Goal ≤ 1 s (app shell).
 * Rows: every row in the device's IndexedDB object stores after the first sync (`rows:*`).
 *
 *   node_modules/.bin/tsx bench/warehouse-first-sync.ts     (RUNS=5)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDemoCompany } from '@niaga/domain/demo';
import { launchChromium } from '@niaga/testing';
import { fmt, median, met, onCleanup, printTable, repoRoot, runBenchmark, startBenchDatabase, startServerProcess, type ResultRow } from './lib/harness.ts';

const runs = Number(process.env.RUNS ?? '5');
const password = 'niaga-demo';
const firstSyncGoalMs = 3000;
const offlineOpenGoalMs = 1000;

type Browser = Awaited<ReturnType<typeof launchChromium>>;
type Page = Awaited<ReturnType<Browser['newPage']>>;

/** `vite build` of clients/warehouse into `outDir`, as its package's build script runs it. */
async function buildWarehouseApp(outDir: string): Promise<void> {
  const appRoot = join(repoRoot, 'clients', 'warehouse');
  const child = spawn(join(appRoot, 'node_modules', '.bin', 'vite'), ['build', '--configLoader', 'runner', '--logLevel', 'warn'], {
    cwd: appRoot,
    env: { ...process.env, NIAGA_APP_OUT_DIR: outDir },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`vite build of the warehouse app failed (exit ${code})`);
}

/** Rows in the device database: every synced table's object store. */
function countDeviceRows(page: Page): Promise<number> {
  return page.evaluate(`new Promise((resolve, reject) => {
    const open = indexedDB.open('niaga-warehouse');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const stores = [...db.objectStoreNames].filter((name) => name.startsWith('rows:'));
      const tx = db.transaction(stores, 'readonly');
      let total = 0;
      for (const name of stores) tx.objectStore(name).count().onsuccess = (event) => (total += event.target.result);
      tx.oncomplete = () => { db.close(); resolve(total); };
      tx.onerror = () => reject(tx.error);
    };
  })`);
}

interface Run {
  firstSyncMs: number;
  readyMs: number;
  rows: number;
  offlineShellMs: number;
  offlineReadyMs: number;
}

async function oneRun(browser: Browser, origin: string): Promise<Run> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${origin}/warehouse/`);
    await page.getByLabel('Email').fill('picker1@niaga.test');
    await page.getByLabel('Password').fill(password);
    const sections = page.getByRole('navigation', { name: 'Sections' });
    const pickLists = page.getByRole('list', { name: 'To pick' }).getByRole('listitem').first();
    const started = performance.now();
    await page.getByRole('button', { name: 'Log in' }).click();
    await sections.waitFor({ timeout: 60_000 });
    const firstSyncMs = performance.now() - started;
    await pickLists.waitFor({ timeout: 30_000 });
    const readyMs = performance.now() - started;
    const rows = await countDeviceRows(page);

    // Controlled by the service worker (the first visit only installs it), then offline.
    await page.evaluate('navigator.serviceWorker.ready.then(() => true)');
    await page.reload();
    await sections.waitFor();
    if (!(await page.evaluate('navigator.serviceWorker.controller !== null'))) throw new Error('The service worker does not control the page after a reload');
    await context.setOffline(true);
    const reloading = performance.now();
    await page.reload();
    await sections.waitFor();
    const offlineShellMs = performance.now() - reloading;
    await pickLists.waitFor();
    const offlineReadyMs = performance.now() - reloading;
    return { firstSyncMs, readyMs, rows, offlineShellMs, offlineReadyMs };
  } finally {
    await context.close();
  }
}

runBenchmark('warehouse-first-sync', async () => {
  const database = await startBenchDatabase();
  const seeding = performance.now();
  await seedDemoCompany(database.db, { scale: 'small', seed: 42, password });
  console.log(`small demo company seeded in ${fmt((performance.now() - seeding) / 1000)} s`);

  const appsDir = mkdtempSync(join(tmpdir(), 'niaga-bench-apps-'));
  onCleanup(async () => rmSync(appsDir, { recursive: true, force: true }));
  const building = performance.now();
  await buildWarehouseApp(join(appsDir, 'warehouse'));
  console.log(`warehouse app built in ${fmt((performance.now() - building) / 1000)} s`);

  const server = await startServerProcess(database.url, { config: { NIAGA_APPS_DIR: appsDir } });
  onCleanup(() => server.stop());
  const browser = await launchChromium();
  onCleanup(() => browser.close());

  // One unmeasured run: Chromium's and the server's first-use costs (JIT, caches, argon2 warm-up).
  await oneRun(browser, server.baseUrl);
  const results: Run[] = [];
  for (let run = 1; run <= runs; run++) {
    const result = await oneRun(browser, server.baseUrl);
    results.push(result);
    console.log(
      `run ${run}: first sync ${fmt(result.firstSyncMs, 0)} ms (${result.rows.toLocaleString('en-US')} rows, ${fmt(result.rows / (result.firstSyncMs / 1000), 0)} rows/s), ready ${fmt(result.readyMs, 0)} ms; offline open: shell ${fmt(result.offlineShellMs, 0)} ms, pick lists ${fmt(result.offlineReadyMs, 0)} ms`,
    );
  }

  const firstSync = median(results.map((result) => result.firstSyncMs));
  const ready = median(results.map((result) => result.readyMs));
  const rows = median(results.map((result) => result.rows));
  const offlineShell = median(results.map((result) => result.offlineShellMs));
  const offlineReady = median(results.map((result) => result.offlineReadyMs));
  const table: ResultRow[] = [
    { metric: `first sync, login → sections (median of ${runs})`, figure: `${fmt(firstSync, 0)} ms`, baseline: '—', ratio: '—', goal: `≤ ${firstSyncGoalMs} ms`, met: met(firstSync <= firstSyncGoalMs) },
    { metric: 'rows on the device / rate', figure: `${rows.toLocaleString('en-US')} rows, ${fmt(rows / (firstSync / 1000), 0)} rows/s`, baseline: '—', ratio: '—', goal: '—', met: '—' },
    { metric: 'login → pick lists shown', figure: `${fmt(ready, 0)} ms`, baseline: '—', ratio: '—', goal: `≤ ${firstSyncGoalMs} ms`, met: met(ready <= firstSyncGoalMs) },
    { metric: 'offline reload → app shell (sections)', figure: `${fmt(offlineShell, 0)} ms`, baseline: '—', ratio: '—', goal: `≤ ${offlineOpenGoalMs} ms`, met: met(offlineShell <= offlineOpenGoalMs) },
    { metric: 'offline reload → pick lists shown', figure: `${fmt(offlineReady, 0)} ms`, baseline: '—', ratio: '—', goal: '—', met: '—' },
  ];
  printTable('Warehouse app (Chromium, Dexie on IndexedDB, small demo company, picker1 at WH-1)', table);
});
