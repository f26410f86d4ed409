import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll } from 'vitest';
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
