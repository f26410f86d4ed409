import { PGlite } from '@electric-sql/pglite';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { describeStoreContract } from '../contract/store-contract.ts';
import { openPgliteStore } from './pglite-store.ts';

const folder = mkdtempSync(join(tmpdir(), 'niaga-pglite-store-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** New databases start from a dump of an empty one: initdb runs once per file, not per store. */
let template: Promise<Blob> | undefined;
const emptyDatabase = () =>
  (template ??= (async () => {
    const db = await PGlite.create();
    const dump = await db.dumpDataDir('none');
    await db.close();
    return dump;
  })());

describeStoreContract('pglite', async (name) => {
  const dataDir = name === undefined ? undefined : join(folder, name);
  const fresh = dataDir === undefined || !existsSync(dataDir);
  return openPgliteStore({ ...(dataDir ? { dataDir } : {}), ...(fresh ? { template: await emptyDatabase() } : {}) });
});
