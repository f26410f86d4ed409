import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Executor } from '@niaga/db';
import { createPgExecutor } from '@niaga/db/pg';
import { createPgliteExecutor } from '@niaga/db/pglite';
import type { Config } from './config.ts';

/** Postgres when DATABASE_URL is set, else embedded PGlite on disk in the data dir. */
export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<Executor> {
  if (config.databaseUrl) return createPgExecutor(config.databaseUrl);
  const dir = join(config.dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  return createPgliteExecutor(dir);
}
