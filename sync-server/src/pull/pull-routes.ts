/**
 * `POST /api/v1/sync/pull` (Replicache pull, pullVersion 1) and `GET /api/v1/sync/poke` (SSE:
 * pull now). The client view is the caller's role shapes; see read-pull.ts for how a pull is
 * answered and pull-cookie.ts for the cookie.
 */
import type { Executor } from '@niaga/db';
import { verifyAccessToken, type RevokedSessions, type TokenService } from '@niaga/domain/auth';
import { requireUser, unauthenticated } from '@niaga/domain/shared';
import { PullRequest, PullResponse, pullMoreHeader, pokeTokenParam, supportedSchemaVersions, type AccessClaims } from '@niaga/protocol';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { ChangeFeed } from '../shapes/change-feed.ts';
import type { TableInfo } from '../shapes/table-catalog.ts';
import { clientViewOf } from './client-view.ts';
import { refuseOverLimit, type LiveRequestLimit } from '../shapes/live-request-limit.ts';
import { streamPokes, defaultPokeStreamOptions, type PokeStreamOptions } from './poke-stream.ts';
import { defaultPullLimits, readPull, type PullLimits } from './read-pull.ts';

export interface PullRoutesOptions {
  db: Executor;
  catalog: ReadonlyMap<string, TableInfo>;
  feed: ChangeFeed;
  tokens: TokenService;
  /** Refuses the poke stream to revoked sessions (as the guard refuses their requests). */
  revoked?: RevokedSessions;
  limits?: Partial<PullLimits>;
  poke?: Partial<PokeStreamOptions>;
  /** Poke streams count against the same per-user limit as live shape requests. */
  liveLimit: LiveRequestLimit;
}

const PokeQuery = Type.Object(
  { [pokeTokenParam]: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'The access token, for clients that cannot send headers (EventSource)' })) },
  { additionalProperties: false },
);

export const pullRoutes: FastifyPluginAsync<PullRoutesOptions> = async (app, options) => {
  const { db, catalog, feed, tokens, revoked, liveLimit } = options;
  const limits: PullLimits = { ...defaultPullLimits, ...options.limits };
  const pokeOptions: PokeStreamOptions = { ...defaultPokeStreamOptions, ...options.poke };

  app.post(
    '/api/v1/sync/pull',
    {
      schema: {
        tags: ['sync'],
        summary: "Pull the caller's client view (Replicache pull format): a patch since the cookie, or clear + everything",
        security: [{ bearerAuth: [] }],
        body: PullRequest,
        response: { 200: PullResponse },
      },
      // Other pull formats are answered the way Replicache expects, before the body schema refuses them.
      preValidation: async (request, reply) => {
        requireUser(request);
        const body = request.body as { pullVersion?: unknown } | null;
        if (typeof body === 'object' && body !== null && !Array.isArray(body) && body.pullVersion !== 1) {
          return reply.code(200).send({ error: 'VersionNotSupported', versionType: 'pull' });
        }
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const body = request.body as PullRequest;
      if (!supportedSchemaVersions.includes(body.schemaVersion ?? '')) return { error: 'VersionNotSupported' as const, versionType: 'schema' as const };
      const result = await readPull(
        db,
        { user, clientGroupID: body.clientGroupID, cookie: body.cookie, view: clientViewOf(user, catalog), truncatedSince: (table, lsn) => feed.truncatedSince(table, lsn) },
        limits,
      );
      if (result.more) void reply.header(pullMoreHeader, '1');
      // Serialized here: a full view can be large, and its values are arbitrary JSON.
      return reply.header('cache-control', 'no-store').type('application/json').send(JSON.stringify(result.response));
    },
  );

  async function pokeUser(request: FastifyRequest): Promise<AccessClaims> {
    if (request.user) return request.user;
    const token = (request.query as Record<string, string | undefined>)[pokeTokenParam];
    if (token === undefined) throw unauthenticated(`Send Authorization: Bearer <accessToken>, or ?${pokeTokenParam}=<accessToken> where headers cannot be set (EventSource)`);
    return verifyAccessToken({ tokens, ...(revoked ? { revoked } : {}) }, token);
  }

  app.get(
    '/api/v1/sync/poke',
    {
      schema: {
        tags: ['sync'],
        summary: 'Server-Sent Events telling a Replicache client to pull: `ready` on connect, `poke` when its view changed',
        security: [{ bearerAuth: [] }],
        querystring: PokeQuery,
      },
      // The token may be in the query: never log it.
      logSerializers: { req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url.split('?')[0] }) },
    },
    async (request, reply) => {
      const user = await pokeUser(request);
      const leave = liveLimit.enter(user.sub);
      if (!leave) return refuseOverLimit(reply, liveLimit);
      try {
        await streamPokes(request, reply, feed, clientViewOf(user, catalog), pokeOptions, () => revoked?.reasonFor(user.sid) === undefined);
      } finally {
        leave();
      }
    },
  );
};
