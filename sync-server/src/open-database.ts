import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Executor } from '@niaga/db';
import { createPgExecutor } from '@niaga/db/pg';
import type { Config } from './config.ts';

/** Postgres when DATABASE_URL is set, else embedded PGlite on disk in the data dir. */
export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<Executor> {
  if (config.databaseUrl) return createPgExecutor(config.databaseUrl);
  const dir = join(config.dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  // Loaded only in embedded mode: PGlite's WebAssembly Postgres costs ~60 MB of memory.
  const { createPgliteExecutor } = await import('@niaga/db/pglite');
  return createPgliteExecutor(dir);
}
