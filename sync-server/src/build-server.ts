import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Executor } from '@niaga/db';
import { agentsPlugin } from '@niaga/domain/agents';
import { authGuard, authPlugin, createTokenService, RevokedSessions } from '@niaga/domain/auth';
import { catalogPlugin } from '@niaga/domain/catalog';
import { customersPlugin } from '@niaga/domain/customers';
import { inventoryPlugin } from '@niaga/domain/inventory';
import { ordersPlugin } from '@niaga/domain/orders';
import { createHttpApp } from '@niaga/domain/shared';
import { PROTOCOL_VERSION, pullMoreHeader } from '@niaga/protocol';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import type { ReplicationLeader } from './capture/replication-leader.ts';
import { ChangeFeed } from './shapes/change-feed.ts';
import { LiveRequestLimit } from './shapes/live-request-limit.ts';
import { syncedTables } from './shapes/rules.ts';
import { electricHeaders, shapeRoutes } from './shapes/shape-routes.ts';
import { SnapshotSpool } from './shapes/snapshot-spool.ts';
import { loadTableCatalog } from './shapes/table-catalog.ts';
import { scheduleHousekeeping } from './housekeeping.ts';
import { registerMetrics } from './metrics.ts';
import { startEventRelay } from './events/index.ts';
import { startOrderSaga } from './order-saga.ts';
import { appRoutes } from './apps/app-routes.ts';
import { pullRoutes } from './pull/pull-routes.ts';
import { pushRoutes } from './push/push-routes.ts';
import { MutationTables } from './push/sql-mutation-tx.ts';

export interface ServerDeps {
  db: Executor;
  /**
   * Postgres mode, on the instance that runs the replication leader: its slot's retained WAL for
   * /metrics, and its appends, which this instance's change feed takes without reading them back.
   */
  capture?: Pick<ReplicationLeader, 'lagBytes' | 'onAppended'>;
}

/** Builds the whole HTTP app; main.ts only listens. Tests use app.inject(). */
export async function buildServer(config: Config, deps: ServerDeps): Promise<FastifyInstance> {
  const app = createHttpApp({ logLevel: config.logLevel, bodyLimitBytes: config.bodyLimitBytes, idleTimeoutMs: config.httpIdleTimeoutMs });

  await app.register(cors, { origin: true, credentials: true, maxAge: 86_400, exposedHeaders: [...electricHeaders, pullMoreHeader] });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Niaga API', version: String(PROTOCOL_VERSION), description: 'Domain services of the Niaga offline-first sync platform.' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/v1/docs' });

  const tokens = createTokenService(config.jwtSecret, config.accessTokenTtlSeconds);
  const revoked = new RevokedSessions(deps.db, config.accessTokenTtlSeconds);
  await app.register(authGuard, { tokens, revoked });

  app.get('/healthz', { schema: { hide: true } }, () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await deps.db.query('select 1');
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ code: 'UNAVAILABLE', message: 'The database is unavailable' });
    }
  });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, () => app.swagger());

  const { db } = deps;
  await app.register(authPlugin, { prefix: '/api/v1/auth', db, tokens, refreshTokenTtlSeconds: config.refreshTokenTtlSeconds, refreshReuseGraceSeconds: config.refreshReuseGraceSeconds, revoked });
  await app.register(catalogPlugin, { prefix: '/api/v1/catalog', db });
  await app.register(inventoryPlugin, { prefix: '/api/v1/inventory', db });
  await app.register(ordersPlugin, { prefix: '/api/v1/orders', db });
  await app.register(customersPlugin, { prefix: '/api/v1/customers', db });
  await app.register(agentsPlugin, { prefix: '/api/v1/agents', db });

  await app.register(pushRoutes, {
    db,
    tables: await MutationTables.load(db),
    policy: { countVarianceThreshold: config.countVarianceThreshold, priceHonourWindowMs: config.priceHonourWindowHours * 3600_000 },
  });

  const feed = new ChangeFeed(db, { maxLiveLogMessages: config.liveLogsMaxMessages });
  await feed.start();
  const stopOffers = deps.capture?.onAppended((appended) => feed.offerAppended(appended));
  app.addHook('onClose', async () => stopOffers?.());
  // Before the server stops accepting: answer held long-polls so close() does not wait for them.
  app.addHook('preClose', () => feed.close());
  const catalog = await loadTableCatalog(db, syncedTables);
  const snapshotSpool = await SnapshotSpool.create(config.snapshotSpoolDir, config.snapshotSpoolMaxMb * 1024 * 1024, (message) => app.log.warn(message));
  app.addHook('onClose', () => snapshotSpool.close());
  const metrics = registerMetrics(app, { feed, snapshotSpool, ...(deps.capture ? { replicationLagBytes: () => deps.capture!.lagBytes() } : {}) });
  const retentionMs = config.changeLogRetentionHours * 3600_000;
  const liveLimit = new LiveRequestLimit(config.maxLiveRequestsPerUser);
  await app.register(shapeRoutes, {
    db,
    catalog,
    feed,
    onSnapshot: (table) => metrics.snapshots.inc({ table }),
    onSnapshotRefused: (table) => metrics.snapshotsRefused.inc({ table }),
    snapshotPageRows: config.snapshotPageRows,
    snapshotIdleMs: config.snapshotIdleMs,
    snapshotReaders: config.snapshotMaxReaders,
    liveLimit,
    shareSnapshotsMs: config.snapshotShareMs,
    snapshotSpool,
    touchHandleEveryMs: Math.min(10 * 60_000, retentionMs / 4),
  });
  await app.register(pullRoutes, { db, catalog, feed, tokens, revoked, liveLimit });
  const stopHousekeeping = scheduleHousekeeping(db, { changeLogRetentionMs: retentionMs }, 10 * 60_000, app.log);
  app.addHook('onClose', async () => stopHousekeeping());
  // Outbox → NATS JetStream (NATS_URL) or the in-process bus; never waits for NATS to be up.
  const events = await startEventRelay({
    db,
    natsUrl: config.natsUrl,
    jetstream: { stream: config.natsStream, subjectPrefix: config.natsSubjectPrefix },
    logger: app.log.child({ component: 'events' }),
  });
  app.decorate('events', events);
  app.addHook('onClose', () => events.stop());
  await startOrderSaga(events);
  await app.register(appRoutes, { appsDir: config.appsDir });
  return app;
}
