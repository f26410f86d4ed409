/**
 * `POST /api/v1/sync/push` (Replicache push, pushVersion 1). Mutations are applied in order, each
 * in its own transaction (see apply-mutation.ts); pushes of one client are serialized by the
 * row lock on its sync.clients row, so two tabs pushing at once apply each mutation once.
 */
import type { Executor } from '@niaga/db';
import { DomainError, requireUser } from '@niaga/domain/shared';
import type { MutationPolicy, Mutator } from '@niaga/mutators';
import { Header, PushRequest, PushResponse, supportedSchemaVersions } from '@niaga/protocol';
import type { FastifyPluginAsync } from 'fastify';
import { applyMutation } from './apply-mutation.ts';
import type { MutationTables } from './sql-mutation-tx.ts';
import { isTransientError } from './transient-error.ts';

export interface PushRoutesOptions {
  db: Executor;
  tables: MutationTables;
  /** Server-side implementations that replace the shared ones (the domain's authoritative rules). */
  overrides?: ReadonlyMap<string, Mutator>;
  policy: MutationPolicy;
}

/** Server clock minus the device's, from the device-time header (undefined when absent). */
function clockOffset(header: string | string[] | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const deviceMs = typeof header === 'string' ? Date.parse(header) : Number.NaN;
  if (Number.isNaN(deviceMs)) throw new DomainError('VALIDATION_FAILED', `The ${Header.deviceTime} header must be an ISO 8601 time, e.g. ${new Date(nowMs).toISOString()}`);
  // Clamped to ±10 years so a garbage clock cannot overflow the column.
  return Math.max(-3e11, Math.min(3e11, Math.round(nowMs - deviceMs)));
}

export const pushRoutes: FastifyPluginAsync<PushRoutesOptions> = async (app, { db, tables, overrides, policy }) => {
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
      const lastMutationIDs: Record<string, number> = {};
      const context = { db, tables, policy, actor, clientGroupID: body.clientGroupID, clockOffsetMs, log: request.log, ...(overrides ? { overrides } : {}) };
      for (const mutation of body.mutations) {
        let step;
        try {
          step = await applyMutation(context, mutation);
        } catch (error) {
          if (isTransientError(error)) throw new DomainError('UNAVAILABLE', 'The database is unavailable; nothing more of this push was applied. Retry with backoff.', { lastMutationIDs }, { cause: error });
          throw error;
        }
        if (step.kind === 'gap') {
          throw new DomainError(
            'MUTATION_ID_GAP',
            `Mutation ${mutation.id} of client ${mutation.clientID} skips ahead: the server has applied up to ${step.lastMutationID}`,
            { clientID: mutation.clientID, lastMutationID: step.lastMutationID, lastMutationIDs },
          );
        }
        lastMutationIDs[mutation.clientID] = step.lastMutationID;
      }
      return { lastMutationIDs };
    },
  );
};
