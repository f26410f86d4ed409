import type { Executor } from '@niaga/db';
import { isDatabaseEmpty, seedDemoCompany, type DemoSummary } from '@niaga/domain/demo';
import { migrate } from '@niaga/migrations';
import type { FastifyInstance } from 'fastify';
import { buildServer } from './build-server.ts';
import type { Config } from './config.ts';
import { startReplicationLeader, type ReplicationLeader } from './capture/replication-leader.ts';
import { installTriggerCapture } from './capture/trigger-capture.ts';
import { openDatabase } from './open-database.ts';
import { syncedTables } from './shapes/rules.ts';

export interface Platform {
  app: FastifyInstance;
  db: Executor;
  migrationsApplied: string[];
  /** Set when this start seeded the demo company into an empty database. */
  seeded: DemoSummary | undefined;
  close(): Promise<void>;
}

/** Until the app (and its logger) exists, capture reports through the boot progress channel. */
function captureLog(say: (message: string) => void) {
  const write = (level: string) => (details: object, message: string) => say(`[capture ${level}] ${message} ${JSON.stringify(details)}`);
  return { info: () => {}, warn: write('warn'), error: write('error') };
}

export interface BootHooks {
  onProgress?: (message: string) => void;
}

/** Opens the database, migrates it, seeds the demo company if asked and empty, and builds the app. */
export async function bootPlatform(config: Config, hooks: BootHooks = {}): Promise<Platform> {
  const say = hooks.onProgress ?? (() => {});
  say(config.databaseUrl ? 'Connecting to Postgres' : `Opening embedded PGlite in ${config.dataDir}`);
  const db = await openDatabase(config);
  try {
    const { applied } = await migrate(db);
    if (applied.length > 0) say(`Applied ${applied.length} migration(s)`);
    let seeded: DemoSummary | undefined;
    if (config.demo && (await isDatabaseEmpty(db))) {
      say(`Seeding the demo company (${config.demoScale}, seed ${config.demoSeed})`);
      let lastStep = '';
      seeded = await seedDemoCompany(db, {
        scale: config.demoScale,
        seed: config.demoSeed,
        password: config.demoPassword,
        onProgress: (step) => {
          if (step !== lastStep) say(`  ${(lastStep = step)}`);
        },
      });
    }
    // After the seed: the demo company is the starting state, which snapshots serve, not a change.
    if (db.dialect === 'pglite') await installTriggerCapture(db, syncedTables);
    // On Postgres one instance at a time (advisory lock) turns logical replication into the log;
    // the others stand by and take over if it stops.
    let leader: ReplicationLeader | undefined;
    if (config.databaseUrl) {
      leader = startReplicationLeader({ connectionString: config.databaseUrl, db, tables: syncedTables, logger: captureLog(say) });
    }
    const app = await buildServer(config, { db, ...(leader ? { capture: leader } : {}) });
    return {
      app,
      db,
      migrationsApplied: applied,
      seeded,
      close: async () => {
        await leader?.stop();
        await app.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
