/**
 * The read path under failure, with two server instances over one Postgres, each with its own
 * replication leader (one leads, the other stands by), writers running, and official clients on
 * either instance and on both in turn: replication connections terminated, the leader's lock
 * connection terminated (the other instance takes over), and Postgres itself killed and restarted.
 * Afterwards the log holds every committed transaction exactly once, in increasing lsn order, and
 * every client holds exactly the database's rows, having received no insert twice and no update
 * or delete of a row it did not have.
 */
import { randomBytes } from 'node:crypto';
import { createPgExecutor, type PgExecutor } from '@niaga/db/pg';
import { migrate } from '@niaga/migrations';
import { createTestDatabase, startPostgres, withDatabase, type EngineHandle } from '@niaga/testing';
import type { Row } from '@electric-sql/client';
import pg from 'pg';
import { afterAll, expect, test } from 'vitest';
import { startReplicationLeader, type ReplicationLeader } from '../capture/replication-leader.ts';
import type { PgShapeBackend } from '../test-support/pg-shape-backend.ts';
import { startShapeServer, type ShapeServer } from '../test-support/shape-server.ts';
import { noAnomalies, openShape, sleep, waitFor, type LiveMode, type LiveShape } from '../test-support/shape-test-kit.ts';
import { syncedTables } from './rules.ts';

interface Instance {
  readonly leader: ReplicationLeader;
  readonly server: ShapeServer;
}

interface Cluster {
  readonly url: string;
  readonly db: PgExecutor;
  readonly slotName: string;
  readonly instances: Instance[];
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

async function startInstances(url: string, db: PgExecutor): Promise<Cluster> {
  const slotName = `niaga_failover_${randomBytes(4).toString('hex')}`;
  const instances: Instance[] = [];
  for (let i = 0; i < 2; i++) {
    const leader = startReplicationLeader({
      connectionString: url,
      db,
      tables: syncedTables,
      slotName,
      publicationName: `${slotName}_pub`,
      heartbeatMs: 200,
      standbyRetryMs: 200,
      slotTakeoverMs: 1000,
      retryBackoff: { initialMs: 100, maxMs: 500 },
    });
    const server = await startShapeServer(db, {}, { capture: leader });
    instances.push({ leader, server });
    cleanups.push(async () => {
      server.app.server.closeAllConnections();
      await server.close();
      await leader.stop();
    });
  }
  await waitFor(() => instances.some((instance) => instance.leader.isStreaming()), 'a leader streaming', 30_000);
  return { url, db, slotName, instances };
}

/** The instance whose leader streams now. */
async function leading(cluster: Cluster): Promise<Instance> {
  let found: Instance | undefined;
  await waitFor(() => (found = cluster.instances.find((instance) => instance.leader.isStreaming())) !== undefined, 'a leader streaming', 30_000);
  return found!;
}

/** Writers: each transaction inserts a territory and renames or deletes one of its own; returns the xids that committed. */
function startWriters(url: string, prefix: string, count: number) {
  const committed: string[] = [];
  let running = true;
  let failures = 0;
  const writers = Array.from({ length: count }, async (_, writer) => {
    let n = 0;
    const mine: string[] = [];
    while (running) {
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('set synchronous_commit = on');
        while (running) {
          const code = `${prefix}-${writer}-${n++}`;
          await client.query('begin');
          const { rows } = await client.query<{ xid: string }>('select pg_current_xact_id()::text as xid');
          await client.query(`insert into agents.territories (code, name) values ($1, 'new')`, [code]);
          const other = mine[Math.floor(Math.random() * mine.length)];
          if (other !== undefined && n % 5 === 0) {
            await client.query('delete from agents.territories where code = $1', [other]);
            mine.splice(mine.indexOf(other), 1);
          } else if (other !== undefined) {
            await client.query(`update agents.territories set name = name || '+' where code = $1`, [other]);
          }
          await client.query('commit');
          mine.push(code);
          committed.push(rows[0]!.xid);
          await sleep(5);
        }
      } catch {
        // The connection was cut (the database restarting): a transaction in flight did not commit.
        failures++;
        await sleep(100);
      } finally {
        await client.end().catch(() => {});
      }
    }
  });
  return {
    committed,
    failures: () => failures,
    async stop() {
      running = false;
      await Promise.all(writers);
    },
  };
}

/** Waits until the slot confirmed everything written so far (the log holds it all). */
async function logCaughtUp(cluster: Cluster): Promise<void> {
  const { rows } = await cluster.db.query<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn');
  await waitFor(async () => {
    const { rows: slot } = await cluster.db.query<{ done: boolean }>('select confirmed_flush_lsn >= $1::pg_lsn as done from pg_replication_slots where slot_name = $2', [rows[0]!.lsn, cluster.slotName]);
    return slot[0]?.done === true;
  }, 'the log to catch up', 30_000);
}

/** Every committed transaction once in the log, in increasing lsn, one lsn per transaction. */
async function expectLogExact(cluster: Cluster, committed: readonly string[]): Promise<void> {
  const { rows } = await cluster.db.query<{ lsn: string; xid: string; ops: number }>(
    `select lsn::text, min(xid)::text as xid, count(distinct xid)::int as xids, count(*)::int as ops
       from sync.change_log where table_name = 'agents.territories' group by lsn order by lsn`,
  );
  const xids = rows.map((row) => row.xid);
  expect(new Set(xids).size).toBe(xids.length);
  expect(rows.every((row) => (row as unknown as { xids: number }).xids === 1)).toBe(true);
  const logged = new Set(xids);
  expect(committed.filter((xid) => !logged.has(xid))).toEqual([]);
  // Each transaction's ops were logged once: op_index runs 0..n-1 (the primary key is (lsn, op_index)).
  const { rows: gaps } = await cluster.db.query(
    `select lsn from sync.change_log group by lsn having max(op_index) + 1 <> count(*)`,
  );
  expect(gaps).toEqual([]);
}

async function territoryRows(db: PgExecutor, prefix: string): Promise<string[]> {
  const { rows } = await db.query<{ code: string; name: string }>('select code, name from agents.territories where code like $1 order by code', [`${prefix}-%`]);
  return rows.map((row) => `${row.code}:${row.name}`).sort(byText);
}

/** Rows one side has and the other lacks. */
function difference(actual: readonly string[], expected: readonly string[]): { extra: string[]; missing: string[] } {
  return { extra: actual.filter((row) => !expected.includes(row)).slice(0, 5), missing: expected.filter((row) => !actual.includes(row)).slice(0, 5) };
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const clientRows = (live: LiveShape<Row<unknown>>) =>
  [...live.shape.currentRows].map((row) => `${String(row.code)}:${String(row.name)}`).sort(byText);

/** Clients on the first instance, on the second, and one whose requests alternate between them. */
async function openClients(cluster: Cluster, prefix: string) {
  const [a, b] = cluster.instances as [Instance, Instance];
  const token = await a.server.token('admin');
  const params = { table: 'agents.territories', where: `code like '${prefix}-%'` };
  const on = (server: ShapeServer, mode: LiveMode) => openShape({ server } as PgShapeBackend, { token, params, mode });
  const clients = [on(a.server, 'long-poll'), on(b.server, 'sse'), on(b.server, 'long-poll'), on(a.server, 'sse')];
  // A load balancer without affinity: each request goes to the other instance than the one before.
  let turn = 0;
  const targets = [new URL(a.server.shapeUrl), new URL(b.server.shapeUrl)];
  const route = (url: URL) => {
    const target = targets[turn++ % 2]!;
    const routed = new URL(url);
    routed.host = target.host;
    return routed;
  };
  clients.push(openShape({ server: a.server } as PgShapeBackend, { token, params, mode: 'long-poll', route }));
  await Promise.all(clients.map((client) => client.shape.rows));
  return clients;
}

test('leaders whose replication or lock connections are cut mid-batch, taken over by the other instance: every transaction logged once, every client exact', async () => {
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  const cluster = await startInstances(database.url, database.db);
  cleanups.push(async () => {
    await sleep(200);
    await database.db.query('select pg_drop_replication_slot($1)', [cluster.slotName]).catch(() => {});
  });
  const clients = await openClients(cluster, 'CUT');
  const writers = startWriters(database.url, 'CUT', 3);
  try {
    await waitFor(() => writers.committed.length >= 30, 'writes before the faults');
    // The walsender: the session ends mid-stream, the same leader retries.
    await database.db.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = 'niaga-capture'`);
    await waitFor(() => writers.committed.length >= 80, 'writes after the first fault');
    // The lock connection of the leading instance: it loses the leadership; either may take it.
    for (let round = 0; round < 3; round++) {
      const before = await leading(cluster);
      await database.db.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = 'niaga-capture-leader' and pid in (select pid from pg_locks where locktype = 'advisory')`);
      await waitFor(() => !before.leader.isStreaming(), 'the term to end');
      await leading(cluster);
      const count = writers.committed.length;
      await waitFor(() => writers.committed.length >= count + 30, 'writes after a takeover');
    }
    // The leading instance's capture stops for good (its process gone, its server still up): the other takes over.
    const gone = await leading(cluster);
    await gone.leader.stop();
    const successor = await leading(cluster);
    expect(successor).not.toBe(gone);
    const count = writers.committed.length;
    await waitFor(() => writers.committed.length >= count + 30, 'writes after the other instance took over');
  } finally {
    await writers.stop();
  }
  await logCaughtUp(cluster);
  await expectLogExact(cluster, writers.committed);
  const expected = await territoryRows(database.db, 'CUT');
  for (const client of clients) {
    await waitFor(() => JSON.stringify(clientRows(client)) === JSON.stringify(expected), () => `a client to hold the database's ${expected.length} rows (it holds ${clientRows(client).length}; differing: ${JSON.stringify(difference(clientRows(client), expected))})`, 20_000);
    expect(client.log.anomalies()).toEqual(noAnomalies);
    expect(client.errors).toEqual([]);
    client.close();
  }
}, 90_000);

test('Postgres killed and restarted while writers run: the leader and the feeds come back, every transaction logged once, every client exact', async () => {
  const engine: EngineHandle = await startPostgres();
  cleanups.push(() => engine.dispose());
  const admin = createPgExecutor(engine.url, { max: 1 });
  // Commits the writers saw must survive the kill (the test cluster runs synchronous_commit=off).
  await admin.query('alter system set synchronous_commit = on');
  await admin.query('select pg_reload_conf()');
  await admin.query('create database niaga');
  await admin.close();
  const url = withDatabase(engine.url, 'niaga');
  const db = createPgExecutor(url, { connectionTimeoutMillis: 5000 });
  cleanups.push(() => db.close());
  await migrate(db);
  const cluster = await startInstances(url, db);
  const clients = await openClients(cluster, 'RS');
  const writers = startWriters(url, 'RS', 2);
  try {
    await waitFor(() => writers.committed.length >= 40, 'writes before the kill');
    await engine.kill();
    await sleep(300);
    await engine.restart();
    const count = writers.committed.length;
    await waitFor(() => writers.committed.length >= count + 40, 'writes after the restart', 30_000);
  } finally {
    await writers.stop();
  }
  expect(writers.failures()).toBeGreaterThan(0);
  await leading(cluster);
  await logCaughtUp(cluster);
  await expectLogExact(cluster, writers.committed);
  const expected = await territoryRows(db, 'RS');
  for (const client of clients) {
    await waitFor(() => JSON.stringify(clientRows(client)) === JSON.stringify(expected), () => `a client to hold the database's ${expected.length} rows (it holds ${clientRows(client).length}; differing: ${JSON.stringify(difference(clientRows(client), expected))})`, 40_000);
    expect(client.log.anomalies()).toEqual(noAnomalies);
    expect(client.errors).toEqual([]);
    client.close();
  }
}, 120_000);
