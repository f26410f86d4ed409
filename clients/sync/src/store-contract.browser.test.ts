import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBrowser, type BrowserHarness, type TestPage } from '@niaga/testing';
import type { CaseResult } from './browser-test/vitest-shim.ts';

// The store contract (contract/store-contract.ts) inside Chromium, on the real IndexedDB: the
// page runs every case with the vitest shim and reports each; a failure here lists them by name.

const here = dirname(fileURLToPath(import.meta.url));
// PGlite fetches its wasm and data relative to its module, which is the page's bundle here.
const pgliteDist = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
const pgliteFiles = ['pglite.wasm', 'pglite.data', 'initdb.wasm'];

let browser: BrowserHarness | undefined;
let page: TestPage;

beforeAll(async () => {
  browser = await startBrowser({
    pages: { contract: join(here, 'browser-test/store-contract.page.ts') },
    alias: { vitest: join(here, 'browser-test/vitest-shim.ts') },
    assets: Object.fromEntries(pgliteFiles.map((file) => [file, join(pgliteDist, file)])),
  });
  page = await browser.open('contract');
});

afterAll(async () => {
  await browser?.close();
});

async function expectContractKept(suite: string): Promise<void> {
  const names = (await page.call<string[]>('caseNames')).filter((name) => name.startsWith(`${suite} > `));
  const results = await page.call<CaseResult[]>('run', suite);
  const failures = results.filter((result) => result.status !== 'passed').map((result) => `✗ ${result.name} (${result.status})\n  ${result.error ?? ''}`);
  expect(failures.join('\n\n'), `${failures.length} of ${results.length} contract cases did not pass`).toBe('');
  expect(results.map((result) => result.name)).toEqual(names);
  expect(names.length).toBeGreaterThan(20);
  expect(page.errors).toEqual([]);
}

test("the Dexie store keeps the store contract on Chromium's IndexedDB", async () => {
  await expectContractKept('dexie store contract');
});

test("the PGlite store keeps the store contract in Chromium, and what it committed to IndexedDB (idb://) survives a reopen", async () => {
  await expectContractKept('pglite store contract');
}, 60_000);
