/**
 * The sync server as the benchmarks run it, in its own process: a Postgres executor with the
 * production pool size, the replication leader filling sync.change_log from a fresh slot, and
 * buildServer listening on a free loopback port (with ServerOptions.config merged into its
 * configuration, e.g. NATS_URL). Started by harness.ts (IPC): it sends
 * `{ port }` once listening and stops cleanly on `{ type: 'stop' }` or when its parent goes away.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createPgExecutor } from '@niaga/db/pg';
import { buildServer, loadConfig } from '@niaga/sync-server';
import { startReplicationLeader } from '../../sync-server/src/capture/replication-leader.ts';
import { syncedTables } from '../../sync-server/src/shapes/rules.ts';

const url = process.env.BENCH_DATABASE_URL;
const secret = process.env.BENCH_JWT_SECRET;
if (!url || !secret || !process.send) {
  console.error('server-process.ts is started by bench/lib/harness.ts');
  process.exit(2);
}

// The same executor main.ts gets from openDatabase(): createPgExecutor(url) with its default pool.
const db = createPgExecutor(url);
const slotName = `niaga_bench_${randomBytes(4).toString('hex')}`;
const leader = startReplicationLeader({
  connectionString: url,
  db,
  tables: syncedTables,
  slotName,
  publicationName: `${slotName}_pub`,
  onError: (error) => console.error('[bench server] capture error:', error),
});
const deadline = Date.now() + 30_000;
while (!leader.isStreaming()) {
  if (Date.now() > deadline) throw new Error('The replication leader did not start streaming within 30 s');
  await new Promise((resolve) => setTimeout(resolve, 20));
}

// Extra variables from the benchmark (ServerOptions.config in harness.ts), e.g. NATS_URL.
const extra = JSON.parse(process.env.BENCH_SERVER_CONFIG ?? '{}') as Record<string, string>;
const config = loadConfig({ JWT_SECRET: secret, LOG_LEVEL: 'silent', NIAGA_DEMO: '0', DATABASE_URL: url, ...extra });
const app = await buildServer(config, { db, capture: leader });
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.send({ port: typeof address === 'object' && address ? address.port : 0 });

// BENCH_ALLOC_PROFILE=<file>: what the server allocates, garbage included (V8's sampling heap
// profiler keeping what GC collected), written at stop; open it in DevTools' Memory panel.
const allocationProfile = process.env.BENCH_ALLOC_PROFILE;
const inspector = allocationProfile ? new Session() : undefined;
if (inspector) {
  inspector.connect();
  await inspector.post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (inspector && allocationProfile) {
    const { profile } = await inspector.post('HeapProfiler.stopSampling');
    writeFileSync(allocationProfile, JSON.stringify(profile));
  }
  // app.close() waits for every HTTP connection; one left behind by an aborted long-poll of the
  // official client (undici) kept it waiting for many seconds, so after a grace period force it.
  const force = setTimeout(() => app.server.closeAllConnections(), 2000);
  await app.close().catch(() => {});
  clearTimeout(force);
  await leader.stop().catch(() => {});
  await db.query('select pg_drop_replication_slot($1)', [slotName]).catch(() => {});
  await db.close().catch(() => {});
  process.exit(0);
}
process.on('message', (message: unknown) => {
  if (typeof message !== 'object' || message === null || !('type' in message)) return;
  if (message.type === 'stop') void stop();
  // Measurement hygiene only (the child runs with --expose-gc): RSS without start-up garbage.
  if (message.type === 'gc') {
    globalThis.gc?.();
    const { heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
    process.send?.({ type: 'gc-done', heapUsed, heapTotal, external, arrayBuffers });
  }
});
process.on('disconnect', () => void stop());
