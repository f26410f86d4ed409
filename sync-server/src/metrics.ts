/**
 * Prometheus metrics at /metrics: live shape clients, live shapes, snapshots served and refused, the snapshot spool, the log position,
 * replication lag and HTTP response times. One registry per app, so tests do not share state.
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ChangeFeed } from './shapes/change-feed.ts';
import type { SnapshotSpool } from './shapes/snapshot-spool.ts';

export interface MetricsSources {
  feed: ChangeFeed;
  snapshotSpool: SnapshotSpool;
  /** Bytes of WAL the replication slot retains; absent in embedded mode. */
  replicationLagBytes?: () => Promise<number | null>;
}

export interface ServerMetrics {
  snapshots: Counter;
  /** Big snapshots refused (503 SNAPSHOT_BUSY): every reader was taken, or the spool was more than half full. */
  snapshotsRefused: Counter;
}

export function registerMetrics(app: FastifyInstance, sources: MetricsSources): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'niaga_process_' });
  new Gauge({
    name: 'niaga_shape_live_requests',
    help: 'Live shape requests (long-poll and SSE) waiting for changes on this instance',
    registers: [registry],
    collect() {
      this.set(sources.feed.waiting);
    },
  });
  new Gauge({
    name: 'niaga_live_shapes',
    help: 'Shapes with a live log on this instance (each shared by every client of the shape)',
    registers: [registry],
    collect() {
      this.set(sources.feed.liveShapeCount);
    },
  });
  new Gauge({
    name: 'niaga_live_shape_log_messages',
    help: 'Messages held by the live shape logs of this instance (a message shared by several shapes counts once per shape)',
    registers: [registry],
    collect() {
      this.set(sources.feed.liveShapeMessages);
    },
  });
  new Gauge({
    name: 'niaga_shape_snapshot_spool_bytes',
    help: 'Bytes of big snapshots\' later pages waiting on disk for their clients (SHAPE_SNAPSHOT_SPOOL_MAX_MB; past half of it big snapshots are refused)',
    registers: [registry],
    collect() {
      this.set(sources.snapshotSpool.usedBytes);
    },
  });
  new Gauge({
    name: 'niaga_change_log_position',
    help: 'The newest change log position (LSN) this instance has seen',
    registers: [registry],
    collect() {
      this.set(Number(sources.feed.latestLsn));
    },
  });
  if (sources.replicationLagBytes) {
    const lag = sources.replicationLagBytes;
    new Gauge({
      name: 'niaga_replication_lag_bytes',
      help: 'WAL retained by the replication slot beyond what the change log has confirmed',
      registers: [registry],
      async collect() {
        const bytes = await lag().catch(() => null);
        if (bytes !== null) this.set(bytes);
      },
    });
  }
  const snapshots = new Counter({ name: 'niaga_shape_snapshots_total', help: 'Shape snapshots served (new handles)', labelNames: ['table'], registers: [registry] });
  const snapshotsRefused = new Counter({
    name: 'niaga_shape_snapshots_refused_total',
    help: 'Snapshots of more than one page refused (503 SNAPSHOT_BUSY) because every reader was taken or the spool was more than half full: raise SHAPE_SNAPSHOT_MAX_READERS (and the pool) or SHAPE_SNAPSHOT_SPOOL_MAX_MB if this grows',
    labelNames: ['table'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'niaga_http_request_duration_seconds',
    help: 'HTTP response time by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    duration.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => reply.header('content-type', registry.contentType).send(await registry.metrics()));
  return { snapshots, snapshotsRefused };
}
