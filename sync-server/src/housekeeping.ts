/**
 * What keeps the database from growing without bound, run now and then by every instance (each
 * step is safe to run concurrently): the change log beyond its retention window (compaction.ts),
 * outbox events published more than a week ago (after the in-process bus's 7-day replay window,
 * so none can be needed again), consumers' inbox rows of events handled a day longer ago than any
 * event can still be delivered (eventRedeliveryWindowMs: the stream's max age, the in-process
 * bus's replay), so nothing is left to dedupe, and mutation results older than 30 days
 * (devices have long seen them; their deletion syncs like any other).
 */
import type { Executor } from '@niaga/db';
import { eventRedeliveryWindowMs } from './events/event-bus.ts';
import { compactChangeLog } from './shapes/compaction.ts';

export interface HousekeepingOptions {
  readonly changeLogRetentionMs: number;
  readonly sentEventsKeepMs?: number;
  readonly handledEventsKeepMs?: number;
  readonly mutationResultsKeepMs?: number;
}

const day = 24 * 3600_000;

export async function pruneOnce(db: Executor, options: HousekeepingOptions): Promise<{ changeLogEntries: number; sentEvents: number; handledEvents: number; mutationResults: number }> {
  const { removedEntries } = await compactChangeLog(db, options.changeLogRetentionMs);
  const sentBefore = new Date(Date.now() - (options.sentEventsKeepMs ?? 8 * day));
  const events = await db.query('delete from events.outbox where sent_at < $1', [sentBefore]);
  const handledBefore = new Date(Date.now() - (options.handledEventsKeepMs ?? eventRedeliveryWindowMs + day));
  const handled = await db.query('delete from events.inbox where processed_at < $1', [handledBefore]);
  const resultsBefore = new Date(Date.now() - (options.mutationResultsKeepMs ?? 30 * day));
  const results = await db.query('delete from sync.mutation_results where created_at < $1', [resultsBefore]);
  return { changeLogEntries: removedEntries, sentEvents: events.rowCount, handledEvents: handled.rowCount, mutationResults: results.rowCount };
}

/** Runs pruneOnce every `everyMs`; failures are logged and retried next time. Returns a stop function. */
export function scheduleHousekeeping(db: Executor, options: HousekeepingOptions, everyMs: number, log: { warn(details: object, message: string): void }): () => void {
  const timer = setInterval(() => {
    pruneOnce(db, options).catch((error: unknown) => log.warn({ err: error }, 'housekeeping failed'));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
