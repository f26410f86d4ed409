import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { startBrowser, type BrowserHarness, type TestPage } from '@niaga/testing';

// Tabs of one app sharing a PGlite database through PGlite's multi-tab worker, in Chromium: each
// tab opens the store over its own PGliteWorker (browser-test/pglite-tabs.page.ts); the database
// lives in the leader tab's worker (browser-test/pglite-worker.ts) and persists to IndexedDB.

const here = dirname(fileURLToPath(import.meta.url));
// PGlite fetches its wasm and data relative to its module: the worker's bundle here.
const pgliteDist = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
const pgliteFiles = ['pglite.wasm', 'pglite.data', 'initdb.wasm'];

let browser: BrowserHarness | undefined;

beforeAll(async () => {
  browser = await startBrowser({
    pages: { 'pglite-tabs': join(here, 'browser-test/pglite-tabs.page.ts'), 'pglite-worker': join(here, 'browser-test/pglite-worker.ts') },
    assets: Object.fromEntries(pgliteFiles.map((file) => [file, join(pgliteDist, file)])),
  });
});

afterAll(async () => {
  await browser?.close();
});

const until = (check: () => Promise<void>) => vi.waitFor(check, { timeout: 20_000, interval: 50 });

test('tabs share one PGlite database through its multi-tab worker: each hears what the other commits (a rolled-back transaction is neither kept nor heard), and the database outlives the tab whose worker held it', async () => {
  const context = await browser!.newContext();
  const tabs: TestPage[] = [await browser!.open('pglite-tabs', context), await browser!.open('pglite-tabs', context)];
  const name = `tabs-${randomUUID()}`;
  // The first tab's worker holds the database: it was the only one when that tab's store opened it.
  // (PGliteWorker's isLeader cannot tell: it misses its worker's word that comes before it listens.)
  const [leader, follower] = tabs as [TestPage, TestPage];
  for (const tab of tabs) await tab.call('open', name);

  // The follower makes the table; the leader's store, opened before it existed, writes to it.
  await follower.call('ensureNotes');
  await leader.call('put', 'n1', 'from the leader');
  await until(async () => expect(await follower.call('heard')).toEqual([['test.notes']]));
  expect(await follower.call('notes')).toEqual([{ id: 'n1', body: 'from the leader' }]);

  expect(await follower.call('putThenFail', 'n0')).toBe('the work failed');
  await follower.call('put', 'n2', 'from the follower');
  await until(async () => expect(await leader.call('heard')).toEqual([['test.notes'], ['test.notes']]));
  expect(await leader.call('notes')).toEqual([
    { id: 'n1', body: 'from the leader' },
    { id: 'n2', body: 'from the follower' },
  ]);
  expect(await follower.call('heard')).toEqual([['test.notes'], ['test.notes']]);
  expect(leader.errors).toEqual([]);

  // The leader tab goes: the follower's worker takes the database over from IndexedDB.
  // (PGliteWorker refuses what it sent to the old leader while the new one starts: wait for it, as an app waits for onLeaderChange.)
  await leader.page.close();
  await until(async () => expect(await follower.call('isLeader')).toBe(true));
  await follower.call('put', 'n3', 'after the leader left');
  expect(await follower.call('notes')).toEqual([
    { id: 'n1', body: 'from the leader' },
    { id: 'n2', body: 'from the follower' },
    { id: 'n3', body: 'after the leader left' },
  ]);
  await follower.call('close');
  expect(follower.errors).toEqual([]);
}, 120_000);
