/**
 * Route-test support (imported by *.test.ts only): an app with one domain plugin mounted exactly
 * as the server mounts it, and access tokens for any role and scope.
 */
import { randomUUID } from 'node:crypto';
import type { AccessClaims, Role } from '@niaga/protocol';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { authGuard } from '../auth/guard.ts';
import { RevokedSessions } from '../auth/revoked-sessions.ts';
import { createTokenService, type TokenService } from '../auth/tokens.ts';
import { createHttpApp } from './http-app.ts';
import type { DomainPluginOptions } from './plugin-options.ts';

export interface TestApp {
  app: FastifyInstance;
  tokens: TokenService;
  /** A bearer header for a user of this role; scope claims default to null. */
  as(role: Role, scope?: Partial<Omit<AccessClaims, 'role'>>): Promise<{ authorization: string }>;
}

export async function buildTestApp<O extends DomainPluginOptions>(
  plugin: FastifyPluginAsync<O>,
  prefix: string,
  options: O | ((tokens: TokenService) => O),
  accessTokenTtlSeconds = 900,
): Promise<TestApp> {
  const tokens = createTokenService('test-secret-that-is-at-least-32-characters', accessTokenTtlSeconds);
  const app = createHttpApp();
  const resolved = typeof options === 'function' ? options(tokens) : options;
  // The guard refuses revoked sessions' tokens; a plugin that revokes (auth) shares its list.
  const shared = (resolved as { revoked?: unknown }).revoked;
  const revoked = shared instanceof RevokedSessions ? shared : new RevokedSessions(resolved.db, accessTokenTtlSeconds);
  await app.register(authGuard, { tokens, revoked });
  await app.register(plugin, { ...resolved, prefix });
  await app.ready();
  return {
    app,
    tokens,
    async as(role, scope = {}) {
      const { token } = await tokens.sign({
        sub: randomUUID(),
        sid: randomUUID(),
        warehouse_id: null,
        territory_id: null,
        agent_id: null,
        customer_id: null,
        ...scope,
        role,
      });
      return { authorization: `Bearer ${token}` };
    },
  };
}
