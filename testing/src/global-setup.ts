/**
 * Vitest global setup: one private Postgres, NATS and Redis for the whole run (or the ones named by
 * TEST_DATABASE_URL / TEST_NATS_URL / TEST_REDIS_URL), plus a migrated template database that
 * each test file clones (see createTestDatabase).
 */
import type { TestProject } from 'vitest/node';
import { createPgExecutor } from '@niaga/db/pg';
import { migrate } from '@niaga/migrations';
import { startNats, startPostgres, startRedis, type EngineHandle } from './engines.ts';
import { templateDatabaseName, withDatabase } from './database-url.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    natsUrl: string;
    redisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: EngineHandle[] = [];
  const use = async (envUrl: string | undefined, start: () => Promise<EngineHandle>): Promise<string> => {
    if (envUrl) return envUrl;
    const handle = await start();
    started.push(handle);
    return handle.url;
  };
  try {
    const [databaseUrl, natsUrl, redisUrl] = await Promise.all([
      use(process.env.TEST_DATABASE_URL, startPostgres),
      use(process.env.TEST_NATS_URL, startNats),
      use(process.env.TEST_REDIS_URL, startRedis),
    ]);
    await createTemplate(databaseUrl);
    project.provide('databaseUrl', databaseUrl);
    project.provide('natsUrl', natsUrl);
    project.provide('redisUrl', redisUrl);
  } catch (error) {
    await Promise.all(started.map((handle) => handle.dispose()));
    throw error;
  }
  return async () => {
    await Promise.all(started.map((handle) => handle.dispose()));
  };
}

async function createTemplate(adminUrl: string): Promise<void> {
  const admin = createPgExecutor(adminUrl, { max: 1 });
  try {
    await admin.query(`drop database if exists ${templateDatabaseName} with (force)`);
    await admin.query(`create database ${templateDatabaseName}`);
  } finally {
    await admin.close();
  }
  const template = createPgExecutor(withDatabase(adminUrl, templateDatabaseName), { max: 1 });
  try {
    await migrate(template);
  } finally {
    await template.close();
  }
}
