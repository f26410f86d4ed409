/**
 * A push, applied one mutation per transaction: the client's last mutation id is checked and
 * advanced in the same transaction as the mutation's effects and events, so a mutation applies
 * exactly once however often it is resent. A business failure rolls back the mutation's effects (a
 * savepoint) but still advances the id and records a typed result; a transient database failure
 * advances nothing (the caller answers 5xx, the device retries). A deadlock with another push is
 * retried here a few times first.
 */
import { isTransientError, PgErrorCode, pgErrorCode, type Executor, type Queryable } from '@niaga/db';
import { MutationRejected, runMutation, type Actor, type MutationOutcome, type MutationPolicy } from '@niaga/mutators';
import { isEventType, type PushMutation } from '@niaga/protocol';
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DomainError } from '@niaga/domain/shared';
import { eventInsert } from '../events/outbox.ts';
import { SqlMutationTx, type MutationTables } from './sql-mutation-tx.ts';
import { constraintViolation, unstorableValue } from './mutation-db-errors.ts';

export interface PushResult {
  /** The last mutation id processed per client, after this push. */
  readonly lastMutationIDs: Readonly<Record<string, number>>;
  /** Set when a mutation id skipped ahead: processing stopped there. */
  readonly gap?: { readonly clientID: string; readonly id: number; readonly lastMutationID: number };
}

export interface PushContext {
  readonly db: Executor;
  readonly tables: MutationTables;
  readonly actor: Actor;
  readonly clientGroupID: string;
  /** Server clock minus device clock, measured on this push (undefined: use the last measurement), in full. */
  readonly clockOffsetMs: number | undefined;
  readonly policy: MutationPolicy;
  readonly log: { error(details: object, message: string): void };
}

type Claim = { status: 'apply' | 'skip' | 'gap'; lastMutationID: number; clockOffsetMs: number };

/** What sync.clients.clock_offset_ms holds (int4, about ±24 days). */
const storableOffsetMs = 2_000_000_000;

/**
 * Claims the mutation in one round trip (sync.claim_mutation, migration 0026): the client group
 * and client are created on first use, one of another user refused, the client's row locked, and
 * the id advanced when it is the next expected. The effects then run after a savepoint, so a
 * business failure still leaves the id advanced and a transient one rolls the advance back too.
 */
async function claimMutation(tx: Queryable, ctx: PushContext, mutation: PushMutation): Promise<Claim> {
  const { rows } = await tx.query<{ status: string; last_id: number | null; offset_ms: number | null }>(
    'select status, last_id, offset_ms from sync.claim_mutation($1, $2, $3, $4, $5)',
    [ctx.clientGroupID, mutation.clientID, ctx.actor.sub, mutation.id, ctx.clockOffsetMs === undefined ? null : Math.max(-storableOffsetMs, Math.min(storableOffsetMs, ctx.clockOffsetMs))],
    { prepare: true },
  );
  const { status, last_id, offset_ms } = rows[0]!;
  if (status === 'group_forbidden') throw new DomainError('FORBIDDEN', `Client group ${ctx.clientGroupID} belongs to another user`);
  if (status === 'client_forbidden') throw new DomainError('FORBIDDEN', `Client ${mutation.clientID} belongs to another client group`);
  if (status !== 'apply' && status !== 'skip' && status !== 'gap') throw new Error(`sync.claim_mutation answered ${status}`);
  // This push's own measurement in full; the stored one (clamped to the column) only without one.
  // Clamped, a clock two months behind would date its counts five weeks back, and a count is
  // on hand = counted + every movement after it: five weeks of movements counted twice.
  return { status, lastMutationID: Number(last_id), clockOffsetMs: ctx.clockOffsetMs ?? Number(offset_ms) };
}

/**
 * Device wall-clock times (`occurredAt`) moved onto the server's clock by the measured offset,
 * and never later than now: a device clock running ahead must not date a count in the future.
 * A time JavaScript cannot read is refused here, not left to the schema: RFC 3339 allows a leap
 * second (`23:59:60Z`), which the schema's date-time format accepts and Postgres rolls over to
 * the next minute, so it would escape the clamp (a year-9999 one dated a movement after every
 * count for ever).
 */
export function correctDeviceTimes(args: unknown, offsetMs: number, nowMs: number): unknown {
  if (typeof args !== 'object' || args === null || !('occurredAt' in args) || typeof args.occurredAt !== 'string') return args;
  const deviceMs = Date.parse(args.occurredAt);
  if (Number.isNaN(deviceMs)) {
    throw new MutationRejected('INVALID_ARGS', `occurredAt ${JSON.stringify(args.occurredAt)} is not a time this server can read: send an ISO 8601 date-time such as 2026-12-07T10:15:00Z (seconds 00-59)`, {
      occurredAt: args.occurredAt,
    });
  }
  // Not before the earliest time a Date holds (a header and an occurredAt at opposite ends of it):
  // that is refused as implausible next, where an invalid Date would throw.
  return { ...args, occurredAt: new Date(Math.max(Math.min(deviceMs + offsetMs, nowMs), -8.64e15)).toISOString() };
}

/** Older than this, an `occurredAt` says more about a reset device clock than about the floor. */
const maxOccurredAgeMs = 60 * 86_400_000;

function refuseImplausibleTime(args: unknown, nowMs: number): void {
  if (typeof args !== 'object' || args === null || !('occurredAt' in args) || typeof args.occurredAt !== 'string') return;
  const at = Date.parse(args.occurredAt);
  if (!Number.isNaN(at) && at < nowMs - maxOccurredAgeMs) {
    throw new MutationRejected('INVALID_ARGS', `occurredAt ${args.occurredAt} is more than 60 days ago: the device clock is probably wrong; set it and record this again`, {
      occurredAt: args.occurredAt,
    });
  }
}

function rejectionOf(error: unknown, mutation: PushMutation, log: PushContext['log']): MutationOutcome {
  if (error instanceof MutationRejected) return error.outcome;
  const violation = constraintViolation(error);
  if (violation) {
    return { status: 'rejected', code: 'INVALID_STATE', message: `The change conflicts with existing data (${violation.constraint ?? 'a constraint'})`, details: { constraint: violation.constraint } };
  }
  const unstorable = unstorableValue(error);
  if (unstorable) {
    return {
      status: 'rejected',
      code: 'INVALID_ARGS',
      message: `An argument cannot be stored: ${unstorable.message} (a NUL character, half a surrogate pair, a number out of range or a text too long)`,
      details: { sqlState: unstorable.sqlState },
    };
  }
  // A server bug: dropping the mutation with a record beats blocking the device's queue for ever.
  log.error({ err: error, mutation: { clientID: mutation.clientID, id: mutation.id, name: mutation.name } }, 'mutation failed on the server');
  return { status: 'rejected', code: 'INTERNAL', message: 'The server could not apply this mutation and dropped it; the failure was logged' };
}

const DEADLOCK_RETRIES = 3;

/** A mutation refused for a reason of its own: its transaction is rolled back and its outcome recorded in the next. */
class Refused extends Error {
  override readonly name = 'Refused';
  constructor(readonly outcome: MutationOutcome) {
    super(outcome.message ?? outcome.status);
  }
}

/**
 * One mutation in one transaction: its client's last mutation id is checked and advanced with its
 * effects. A mutation holds its stock and order locks only while it runs: measured with
 * bench/push-throughput.ts (50 devices), a whole push in one transaction held the others' stock
 * locks for the push and fell from ~430 to 93 mutations/s.
 *
 * No savepoint (one round trip fewer per mutation): a mutation refused for a business reason (or
 * a server bug) rolls back its whole transaction, claim included, and its outcome is recorded in a
 * second transaction that claims the id again. If another push of the same client took the id in
 * between, that one's processing stands and nothing is recorded here: still exactly once. A
 * transient failure rolls back and advances nothing (the caller answers 5xx, the device resends).
 */
async function applyMutation(ctx: PushContext, mutation: PushMutation, now: number): Promise<{ lastMutationID: number; gap: boolean }> {
  const done = await ctx.db
    .transaction(async (tx) => {
      const claim = await claimMutation(tx, ctx, mutation);
      // Already applied (a resend): skip. Skipping ahead: stop, the caller reports the gap.
      if (claim.status !== 'apply') return { lastMutationID: claim.lastMutationID, gap: claim.status === 'gap' };
      const outcome = await runOne(ctx, tx, mutation, claim.clockOffsetMs, now);
      if (outcome.status !== 'applied') await recordResult(tx, ctx, mutation, outcome);
      return { lastMutationID: mutation.id, gap: false };
    })
    .catch((error: unknown) => {
      if (error instanceof Refused) return error;
      throw error;
    });
  if (!(done instanceof Refused)) return done;
  return ctx.db.transaction(async (tx) => {
    const claim = await claimMutation(tx, ctx, mutation);
    if (claim.status !== 'apply') return { lastMutationID: claim.lastMutationID, gap: claim.status === 'gap' };
    await recordResult(tx, ctx, mutation, done.outcome);
    return { lastMutationID: mutation.id, gap: false };
  });
}

/** Runs one mutation; a business failure (or a server bug) is thrown as Refused with its outcome, a transient failure as itself. */
async function runOne(ctx: PushContext, tx: Queryable, mutation: PushMutation, offsetMs: number, now: number): Promise<MutationOutcome> {
  try {
    const args = correctDeviceTimes(mutation.args, offsetMs, now);
    refuseImplausibleTime(args, now);
    const mutationTx = new SqlMutationTx(tx, ctx.tables);
    const outcome = await runMutation(mutation.name, args, {
      tx: mutationTx,
      actor: ctx.actor,
      clientID: mutation.clientID,
      mutationID: mutation.id,
      now: new Date(now).toISOString(),
      newID: randomUUID,
      policy: ctx.policy,
      emit: async (type, payload) => {
        if (!isEventType(type)) throw new Error(`Mutator ${mutation.name} emitted an unknown event type ${type}`);
        // Held back with the mutation's other writes, to go in one statement with them.
        const event = { type, payload, clientID: mutation.clientID, mutationID: mutation.id };
        await mutationTx.deferInsert('events.outbox', (offset) => eventInsert(event, offset).text, eventInsert(event).values);
      },
    });
    await mutationTx.flush();
    return outcome;
  } catch (error) {
    if (isTransientError(error)) throw error;
    throw new Refused(rejectionOf(error, mutation, ctx.log));
  }
}

/** Half of a UTF-16 surrogate pair: jsonb refuses its escape, and text gets U+FFFD anyway. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * An outcome's texts as Postgres can store them: each NUL (which text and jsonb refuse) and each
 * lone surrogate becomes U+FFFD, in strings and object keys alike. A name, a message or details
 * echo what the device sent; if they could not be stored, the mutation could never be recorded,
 * its id never advanced, and the device's queue would be stuck behind it for ever.
 */
function storable(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storable);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, item]) => [storableText(key), storable(item)]));
  return value;
}

function storableText(value: string): string {
  return value.replace(loneSurrogate, '\uFFFD').replaceAll('\u0000', '\uFFFD');
}

async function recordResult(tx: Queryable, ctx: PushContext, mutation: PushMutation, outcome: MutationOutcome): Promise<void> {
  await tx.query(
    `insert into sync.mutation_results (client_id, mutation_id, user_id, name, status, code, message, details)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      mutation.clientID,
      mutation.id,
      ctx.actor.sub,
      storableText(mutation.name),
      outcome.status,
      outcome.code ?? null,
      storableText(outcome.message ?? ''),
      outcome.details === undefined ? null : JSON.stringify(storable(outcome.details)),
    ],
    { prepare: true },
  );
}

const isDeadlock = (error: unknown) => {
  const code = pgErrorCode(error);
  return code === PgErrorCode.deadlockDetected || code === PgErrorCode.serializationFailure;
};

/**
 * Applies the mutations in order. Between two of them the event loop gets a turn: PGlite runs a
 * query synchronously, so a push of a thousand mutations would otherwise hold every other request
 * (and the server's timers) until it ends.
 *
 * Each mutation's `now` is at least a millisecond after the one before it in the push. Times from
 * a device clock that ran ahead are clamped to `now`: two of them clamped in the same millisecond
 * (a count, then a pick) would be simultaneous, and a movement at its count's instant counts as
 * seen by the count, so the pick would change nothing. Distinct, they keep the device's order.
 */
export async function applyPush(ctx: PushContext, mutations: readonly PushMutation[]): Promise<PushResult> {
  const lastMutationIDs: Record<string, number> = {};
  let previousNow = 0;
  for (const [index, mutation] of mutations.entries()) {
    if (index > 0) await nextTurn();
    const now = Math.max(Date.now(), previousNow + 1);
    previousNow = now;
    for (let attempt = 1; ; attempt++) {
      try {
        const { lastMutationID, gap } = await applyMutation(ctx, mutation, now);
        if (gap) return { lastMutationIDs, gap: { clientID: mutation.clientID, id: mutation.id, lastMutationID } };
        lastMutationIDs[mutation.clientID] = lastMutationID;
        break;
      } catch (error) {
        // A deadlock with another push (stock rows locked in another order) is worth another try.
        if (!isDeadlock(error) || attempt >= DEADLOCK_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
      }
    }
  }
  return { lastMutationIDs };
}
