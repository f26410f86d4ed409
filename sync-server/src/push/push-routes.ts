/**
 * `POST /api/v1/sync/push` (Replicache push, pushVersion 1). Mutations are applied in order, in
 * transactions of up to 100 (see apply-mutation.ts); pushes of one client are serialized by the
 * row lock on its sync.clients row, so two tabs pushing at once apply each mutation once.
 */
import { isTransientError, type Executor } from '@niaga/db';
import { DomainError, requireUser } from '@niaga/domain/shared';
import type { MutationPolicy } from '@niaga/mutators';
import { Header, PushRequest, PushResponse, supportedSchemaVersions } from '@niaga/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { applyPush } from './apply-push.ts';
import type { MutationTables } from './sql-mutation-tx.ts';

export interface PushRoutesOptions {
  db: Executor;
  tables: MutationTables;
  policy: MutationPolicy;
}

/** Server clock minus the device's, from the device-time header (undefined when absent). */
function clockOffset(header: string | string[] | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const deviceMs = typeof header === 'string' ? Date.parse(header) : Number.NaN;
  if (Number.isNaN(deviceMs)) throw new DomainError('VALIDATION_FAILED', `The ${Header.deviceTime} header must be an ISO 8601 time, e.g. ${new Date(nowMs).toISOString()}`);
  // In full: this push's times are corrected by it. What is stored for later pushes is clamped (apply-push.ts).
  return Math.round(nowMs - deviceMs);
}

export const pushRoutes: FastifyPluginAsync<PushRoutesOptions> = async (app, { db, tables, policy }) => {
  app.post(
    '/api/v1/sync/push',
    {
      schema: {
        tags: ['sync'],
        summary: 'Apply mutations from a device (Replicache push format, exactly once)',
        security: [{ bearerAuth: [] }],
        body: PushRequest,
        response: { 200: PushResponse },
      },
      // Older push formats are answered the way Replicache expects, before the body schema refuses them.
      preValidation: async (request, reply) => {
        requireUser(request);
        const body = request.body as { pushVersion?: unknown } | null;
        if (typeof body === 'object' && body !== null && body.pushVersion !== 1) {
          return reply.code(200).send({ error: 'VersionNotSupported', versionType: 'push' });
        }
      },
    },
    async (request) => {
      const actor = requireUser(request);
      const body = request.body as PushRequest;
      if (!supportedSchemaVersions.includes(body.schemaVersion ?? '')) return { error: 'VersionNotSupported' as const, versionType: 'schema' as const };
      const clockOffsetMs = clockOffset(request.headers[Header.deviceTime], Date.now());
      const context = { db, tables, policy, actor, clientGroupID: body.clientGroupID, clockOffsetMs, log: request.log };
      let result;
      try {
        result = await applyPush(context, body.mutations);
      } catch (error) {
        if (isTransientError(error)) throw new DomainError('UNAVAILABLE', 'The database is unavailable; the rest of this push was not applied. Retry with backoff.', undefined, { cause: error });
        throw error;
      }
      const { lastMutationIDs, gap } = result;
      if (gap) {
        throw new DomainError(
          'MUTATION_ID_GAP',
          `Mutation ${gap.id} of client ${gap.clientID} skips ahead: the server has applied up to ${gap.lastMutationID}`,
          { clientID: gap.clientID, lastMutationID: gap.lastMutationID, lastMutationIDs },
        );
      }
      return { lastMutationIDs };
    },
  );
};
