import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createPgExecutor, type PgExecutor } from '@niaga/db/pg';
import { templateDatabaseName, withDatabase } from './database-url.ts';

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  readonly db: PgExecutor;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/**
 * A fresh, migrated Postgres database of this test file's own, cloned from the template the global
 * setup migrated, so test files run in parallel without seeing each other's rows.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('databaseUrl');
  const name = `niaga_test_${randomBytes(6).toString('hex')}`;
  const admin = createPgExecutor(adminUrl, { max: 1 });
  try {
    await admin.query(`create database ${name} template ${templateDatabaseName}`);
  } finally {
    await admin.close();
  }
  const url = withDatabase(adminUrl, name);
  const db = createPgExecutor(url);
  return {
    url,
    name,
    db,
    drop: async () => {
      await db.close();
      const dropper = createPgExecutor(adminUrl, { max: 1 });
      try {
        await dropper.query(`drop database if exists ${name} with (force)`);
      } finally {
        await dropper.close();
      }
    },
  };
}
