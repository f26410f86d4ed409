import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
