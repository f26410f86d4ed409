/** Test support: a listening server over a given database, and tokens for any role. */
import { randomUUID } from 'node:crypto';
import { Shape, type Row, type ShapeStream, type ShapeStreamInterface } from '@electric-sql/client';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Executor } from '@niaga/db';
import { createPgliteExecutor, type PgliteExecutor } from '@niaga/db/pglite';
import { migrate } from '@niaga/migrations';
import { installTriggerCapture } from '../capture/trigger-capture.ts';
import { syncedTables } from '../shapes/rules.ts';
import { createTokenService } from '@niaga/domain/auth';
import type { AccessClaims, Role } from '@niaga/protocol';
import type { FastifyInstance } from 'fastify';
import { buildServer, type ServerDeps } from '../build-server.ts';
import { loadConfig } from '../config.ts';

export interface ShapeServer {
  app: FastifyInstance;
  baseUrl: string;
  shapeUrl: string;
  /** A signed access token; a negative `ttlSeconds` gives one that has already expired. */
  token(role: Role, scope?: Partial<Omit<AccessClaims, 'role'>>, ttlSeconds?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startShapeServer(db: Executor, env: Record<string, string> = {}, deps: Omit<ServerDeps, 'db'> = {}): Promise<ShapeServer> {
  // Each first request takes its own snapshot unless a test asks for sharing: most tests write and
  // then expect the next snapshot to hold the write (shared-snapshots.pg.test.ts covers sharing).
  const config = loadConfig(
    { JWT_SECRET: 'shape-test-secret-with-more-than-32-chars', LOG_LEVEL: 'silent', NIAGA_DEMO: '0', SHAPE_SNAPSHOT_SHARE_MS: '0', ...env, DATABASE_URL: '' },
    mkdtempSync(join(tmpdir(), 'niaga-shape-')),
  );
  const app = await buildServer({ ...config, demo: false }, { db, ...deps });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    app,
    baseUrl,
    shapeUrl: `${baseUrl}/v1/shape`,
    async token(role, scope = {}, ttlSeconds = 3600) {
      const { token } = await createTokenService(config.jwtSecret, ttlSeconds).sign({ sub: randomUUID(), sid: randomUUID(), warehouse_id: null, territory_id: null, agent_id: null, customer_id: null, ...scope, role });
      return token;
    },
    async close() {
      // Some request of a stopped client can still keep the server's close waiting (seen with the
      // client library's tests after long-polls were fixed; not yet found): end sockets after 1 s.
      const closing = app.close();
      setTimeout(() => app.server.closeAllConnections(), 1000).unref();
      await closing;
    },
  };
}

/**
 * `new Shape(stream)`: the client's own types disagree with exactOptionalPropertyTypes
 * (ShapeStream.shapeHandle is `string | undefined`, ShapeStreamInterface says `string`).
 */
export function shapeOf<T extends Row<unknown>>(stream: ShapeStream<T>): Shape<T> {
  return new Shape(stream as unknown as ShapeStreamInterface<T>);
}

/** An in-memory PGlite as embedded mode runs it: migrated, with the capture triggers on every synced table. */
export async function capturedPglite(): Promise<PgliteExecutor> {
  const db = await createPgliteExecutor();
  await migrate(db);
  await installTriggerCapture(db, syncedTables);
  return db;
}
