/**
 * Drains events.outbox to the bus: unsent rows in seq order, a batch per transaction, published
 * (and acknowledged by the bus), then marked sent in the same transaction.
 *
 * One relay at a time: each batch transaction first takes a transaction-scoped advisory lock and
 * does nothing if another instance holds it. That is simpler than `for update skip locked` and
 * keeps the order: with skip locked, a second relay would publish event N+1 while the first still
 * holds N, so per-subject order would depend on timing. The lock ends with the transaction (also
 * when a relay dies), and every relay LISTENs, so the lock holder is woken by the same commits.
 *
 * Exactly once on the bus: a crash between publish and mark leaves published rows unmarked. The
 * next batch first reconciles (on start and after any failure): the stream messages past the
 * sequence the outbox recorded are marked sent instead of published again. Anything that slips
 * past that is deduplicated by the JetStream message id within the duplicate window.
 *
 * A batch is published at once (in seq order) and its acks awaited together.
 *
 * Failures (bus down, timeouts): the events before the first that failed are marked, the failed
 * one gets attempts + 1 and last_error, and the relay backs off (exponential, capped, jittered) —
 * commits and polls do not cut a backoff short, the bus reconnecting does. Events after the failed
 * one may have reached the stream too (their acks came back): the reconcile that follows any
 * failure marks them, so they are not published twice. Only then can the stream hold them ahead
 * of the failed one, which is published again after them; with the bus down or timing out, all of
 * the batch after the first failure normally fails as well.
 */
import type { Executor, Queryable } from '@niaga/db';
import { Alarm, backoffDelay, isUuid, type BackoffPolicy } from '@niaga/protocol';
import { silentEventLogger, type EventBus, type EventLogger, type PublishResult } from './event-bus.ts';
import { listenForNotifications } from './notify-listener.ts';
import { envelopeOf, outboxChannel, outboxColumns, type OutboxRow } from './outbox.ts';

export interface OutboxRelayOptions {
  readonly db: Executor;
  readonly bus: EventBus;
  /** Names the bus's stream in events.relay_state and in the drain lock. */
  readonly streamKey?: string;
  readonly logger?: EventLogger;
  readonly batchSize?: number;
  /** Polls this often besides waking on NOTIFY (a missed notification only delays). */
  readonly pollIntervalMs?: number;
  readonly retry?: BackoffPolicy;
  /** Metrics hook: each event the bus accepted (duplicate = it already held that id). */
  readonly onPublished?: (eventID: string, result: PublishResult) => void;
  /** Test hook: runs after a batch was published, before it is marked; throwing aborts the batch. */
  readonly beforeMark?: (eventIDs: readonly string[]) => void | Promise<void>;
}

export interface OutboxRelay {
  /** Drain now (the NOTIFY listener calls this). */
  wake(): void;
  stop(): Promise<void>;
}

type BatchResult =
  | { readonly kind: 'busy' }
  | { readonly kind: 'idle' }
  | { readonly kind: 'published'; readonly count: number; readonly more: boolean }
  | { readonly kind: 'failed'; readonly error: unknown; readonly published: number };

function messageOf(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return (text + cause).slice(0, 1000);
}

export async function startOutboxRelay(options: OutboxRelayOptions): Promise<OutboxRelay> {
  const { db, bus } = options;
  const logger = options.logger ?? silentEventLogger;
  const streamKey = options.streamKey ?? bus.kind;
  const batchSize = options.batchSize ?? 100;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const retry = options.retry ?? { initialMs: 100, maxMs: 30_000 };
  const lockKey = `niaga.outbox_relay:${streamKey}`;

  let stopped = false;
  let needsReconcile = bus.unrecordedEventIDs !== undefined;
  const poll = new Alarm();
  const backoff = new Alarm();

  const recordStreamSeq = async (tx: Queryable, seq: number, exact: boolean) => {
    await tx.query(
      `insert into events.relay_state (stream, last_seq) values ($1, $2)
       on conflict (stream) do update set last_seq = ${exact ? 'excluded.last_seq' : 'greatest(events.relay_state.last_seq, excluded.last_seq)'}, updated_at = now()`,
      [streamKey, seq],
    );
  };

  const markSent = async (tx: Queryable, sent: readonly { id: string; streamSeq: number | undefined }[]) => {
    await tx.query(
      `update events.outbox o set sent_at = now(), attempts = o.attempts + 1, last_error = null, stream_seq = s.stream_seq
         from unnest($1::uuid[], $2::bigint[]) as s(id, stream_seq)
        where o.id = s.id and o.sent_at is null`,
      [sent.map((event) => event.id), sent.map((event) => event.streamSeq ?? null)],
    );
  };

  /** Marks events the bus holds but the outbox does not record as sent (a relay died in between). */
  const reconcile = async (tx: Queryable) => {
    const { rows } = await tx.query<{ last_seq: number }>('select last_seq from events.relay_state where stream = $1', [streamKey]);
    const recorded = Number(rows[0]?.last_seq ?? 0);
    const found = await bus.unrecordedEventIDs!(recorded);
    const events = found.events.filter((event) => isUuid(event.id));
    if (events.length > 0) {
      await markSent(tx, events);
      logger.warn({ events: events.length, stream: streamKey }, 'found published events not marked sent (a relay stopped in between); marked them');
    }
    await recordStreamSeq(tx, found.lastSeq, true);
  };

  const drainBatch = (): Promise<BatchResult> =>
    db.transaction(async (tx): Promise<BatchResult> => {
      const { rows: lock } = await tx.query<{ locked: boolean }>('select pg_try_advisory_xact_lock(hashtext($1)) as locked', [lockKey]);
      if (!lock[0]?.locked) return { kind: 'busy' };
      if (needsReconcile) await reconcile(tx);
      const { rows } = await tx.query<OutboxRow>(`select ${outboxColumns} from events.outbox where sent_at is null order by seq limit $1`, [batchSize]);
      if (rows.length === 0) return { kind: 'idle' };
      const sent: { id: string; streamSeq: number | undefined }[] = [];
      let failure: { id: string; error: unknown } | undefined;
      // All published at once, in seq order (one connection keeps it), their acks awaited together:
      // one round trip per batch instead of per event.
      const results = stopped ? [] : await Promise.allSettled(rows.map((row) => bus.publish(envelopeOf(row))));
      for (const [index, result] of results.entries()) {
        const row = rows[index]!;
        if (result.status === 'rejected') {
          failure = { id: row.id, error: result.reason };
          break;
        }
        sent.push({ id: row.id, streamSeq: result.value.streamSeq });
        options.onPublished?.(row.id, result.value);
      }
      if (sent.length > 0) await options.beforeMark?.(sent.map((event) => event.id));
      if (sent.length > 0) {
        await markSent(tx, sent);
        const seqs = sent.flatMap((event) => (event.streamSeq === undefined ? [] : [event.streamSeq]));
        if (seqs.length > 0) await recordStreamSeq(tx, Math.max(...seqs), false);
      }
      if (failure) {
        await tx.query('update events.outbox set attempts = attempts + 1, last_error = $2 where id = $1', [failure.id, messageOf(failure.error)]);
        return { kind: 'failed', error: failure.error, published: sent.length };
      }
      return { kind: 'published', count: sent.length, more: sent.length === batchSize };
    });

  const run = async () => {
    let failures = 0;
    while (!stopped) {
      let result: BatchResult;
      try {
        const reconciling = needsReconcile;
        result = await drainBatch();
        // Reconciled once the batch committed (a busy relay did not get to it).
        if (reconciling && result.kind !== 'busy') needsReconcile = false;
      } catch (error) {
        result = { kind: 'failed', error, published: 0 };
      }
      if (stopped) return;
      if (result.kind === 'failed') {
        failures += 1;
        // Anything published in an aborted batch is in the stream but not marked: look first.
        needsReconcile = bus.unrecordedEventIDs !== undefined;
        const delayMs = backoffDelay(retry, failures);
        logger.warn({ err: result.error, failures, delayMs, published: result.published }, 'outbox relay could not publish; events wait in the outbox');
        await backoff.sleep(delayMs);
        continue;
      }
      if (failures > 0) logger.info({ failures }, 'outbox relay publishing again');
      failures = 0;
      if (result.kind === 'published' && result.more) continue;
      await poll.sleep(pollIntervalMs);
    }
  };

  const stopListening = await listenForNotifications(db, outboxChannel, () => poll.wake());
  const unsubscribeReady = bus.onReady(() => {
    backoff.wake(false);
    poll.wake();
  });
  const running = run();

  return {
    wake: () => poll.wake(),
    async stop() {
      stopped = true;
      poll.wake();
      backoff.wake();
      unsubscribeReady();
      await running;
      await stopListening();
    },
  };
}
