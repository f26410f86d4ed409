import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, expect, test } from 'vitest';
import { describeStoreContract } from '../contract/store-contract.ts';
import { emptyDatabase } from './empty-database.ts';
import { openPgliteStore } from './pglite-store.ts';

const folder = mkdtempSync(join(tmpdir(), 'niaga-pglite-store-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describeStoreContract('pglite', async (name) => {
  const dataDir = name === undefined ? undefined : join(folder, name);
  const fresh = dataDir === undefined || !existsSync(dataDir);
  return openPgliteStore({ ...(dataDir ? { dataDir } : {}), ...(fresh ? { template: await emptyDatabase() } : {}) });
});

// An app that opens the PGlite itself (the agent app does, to query it with SQL) may leave out the
// store's parsers: the store must still read dates and timestamps as the text its row model compares.
describeStoreContract('pglite opened by the caller, with PGlite default parsers', async (name) => {
  const dataDir = join(folder, `caller-${name ?? crypto.randomUUID()}`);
  const fresh = !existsSync(dataDir);
  return openPgliteStore({ db: new PGlite(dataDir, fresh ? { loadDataDir: await emptyDatabase() } : {}) });
});

// Two PGlites over one dataDir do not see each other's writes and overwrite each other's files (a
// pending mutation written through one is gone once both have closed): the second store is refused.
test('a dataDir another open store holds is refused with STORE_IN_USE, and can be opened once that store is closed', async () => {
  const dataDir = join(folder, 'held');
  const first = await openPgliteStore({ dataDir, template: await emptyDatabase() });
  await first.transaction((tx) => tx.setMeta('written', 'by the first'));
  await expect(openPgliteStore({ dataDir })).rejects.toMatchObject({ name: 'LocalStoreError', code: 'STORE_IN_USE' });
  await first.close();
  const again = await openPgliteStore({ dataDir });
  expect(await again.transaction((tx) => tx.getMeta('written'))).toBe('by the first');
  await again.close();
});
