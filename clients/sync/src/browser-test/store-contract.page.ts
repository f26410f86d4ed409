/**
 * The store contract in Chromium: the Dexie store on the browser's IndexedDB and the PGlite store
 * persisted to it (`idb://`), run by the vitest shim (store-contract.browser.test.ts bundles this
 * page with `vitest` aliased to it).
 */
import { definePage } from '@niaga/testing/page';
import { describeStoreContract } from '../contract/store-contract.ts';
import { openDexieStore } from '../dexie/dexie-store.ts';
import { emptyDatabase } from '../pglite/empty-database.ts';
import { openPgliteStore } from '../pglite/pglite-store.ts';
import { caseNames, runCases } from './vitest-shim.ts';

// Names apart from the suite's own (`contract-…`) and from earlier runs in the same profile.
const run = Math.random().toString(36).slice(2, 8);
let opened = 0;
const fresh = () => `fresh-${run}-${++opened}`;

describeStoreContract('dexie', (name) => openDexieStore({ name: name ?? fresh() }));

const created = new Set<string>();

/**
 * The stores the suite reopens by name persist to IndexedDB (`idb://`); the others live in memory.
 * On idb:// every commit writes PGlite's files to IndexedDB (0.3 to 3 s a case here, 25 s for the
 * property test): all of them there would take the run past a minute, while what happens before
 * the commit reaches IndexedDB is the same wasm Postgres either way.
 */
describeStoreContract('pglite', async (name) => {
  if (name === undefined) return openPgliteStore({ dataDir: `memory://${fresh()}`, template: await emptyDatabase() });
  const isNew = !created.has(name);
  created.add(name);
  return openPgliteStore({ dataDir: `idb://${name}`, ...(isNew ? { template: await emptyDatabase() } : {}) });
});

definePage({
  caseNames: () => caseNames(),
  run: (suite: string) => runCases(suite),
});
