/**
 * Test support: a fresh Postgres database with the replication leader appending to the change
 * log and a listening shape server over it. Each backend uses its own slot, dropped on close.
 */
import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { startReplicationLeader, type ReplicationLeader } from '../capture/replication-leader.ts';
import { syncedTables } from '../shapes/rules.ts';
import { startShapeServer, type ShapeServer } from './shape-server.ts';

export interface PgShapeBackend {
  database: TestDatabase;
  server: ShapeServer;
  leader: ReplicationLeader;
  /** Resolves once every change committed so far is in sync.change_log. */
  logCaughtUp(): Promise<void>;
  close(): Promise<void>;
}

export interface PgShapeBackendOptions {
  /** Server environment variables (see .env.example), e.g. NIAGA_APPS_DIR. */
  readonly env?: Record<string, string>;
  /** Runs before change capture starts (a seed: its rows arrive in snapshots, not as changes). */
  readonly prepare?: (db: TestDatabase['db']) => Promise<unknown>;
  /** false: the server's feed reads every append back from the log, as an instance that does not lead capture does. */
  readonly handOff?: boolean;
}

export async function startPgShapeBackend(options: PgShapeBackendOptions = {}): Promise<PgShapeBackend> {
  const database = await createTestDatabase();
  try {
    await options.prepare?.(database.db);
  } catch (error) {
    await database.drop();
    throw error;
  }
  const slotName = `niaga_test_${randomBytes(4).toString('hex')}`;
  const leader = startReplicationLeader({
    connectionString: database.url,
    db: database.db,
    tables: syncedTables,
    slotName,
    publicationName: `${slotName}_pub`,
    heartbeatMs: 200,
  });
  const deadline = Date.now() + 30_000;
  while (!leader.isStreaming()) {
    if (Date.now() > deadline) throw new Error('The replication leader did not start streaming within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  // As production runs it: this server's feed takes the leader's appends in process (offerAppended).
  const server = await startShapeServer(database.db, options.env, options.handOff === false ? {} : { capture: leader });
  return {
    database,
    server,
    leader,
    async logCaughtUp() {
      // The insert position: the write position (pg_current_wal_lsn) can lag commits that already
      // returned (the test cluster runs synchronous_commit=off), and the log would look caught up early.
      const { rows } = await database.db.query<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn');
      const target = rows[0]!.lsn;
      const until = Date.now() + 20_000;
      for (;;) {
        const { rows: slot } = await database.db.query<{ done: boolean }>(
          'select confirmed_flush_lsn >= $1::pg_lsn as done from pg_replication_slots where slot_name = $2',
          [target, slotName],
        );
        if (slot[0]?.done) return;
        if (Date.now() > until) throw new Error('The change log did not catch up within 20 s');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      await server.close();
      await leader.stop();
      await database.db.query('select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1', [slotName]).catch(() => {});
      await database.drop();
    },
  };
}
