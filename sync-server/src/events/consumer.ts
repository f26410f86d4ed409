/**
 * Durable event consumers with effectively-once handling. Events are handled in one database
 * transaction that first records (consumer, event id) in events.inbox and then runs the handler;
 * an event is acked only after that transaction committed. So:
 * - a redelivery (ack lost, crash between commit and ack) finds the inbox row: acked, not handled;
 * - a handler that throws rolls back its effects and the inbox row: the event is retried with
 *   backoff, and dropped (logged) only after maxAttempts; a failure because the database is away
 *   (connection refused or lost, shutting down, out of connections) is not the event's fault and
 *   never drops it: it waits, retried at the backoff's ceiling, for as long as the outage lasts;
 * - a handler may write further events with writeEvent(tx, …): they commit with its effects.
 *
 * Events that arrive while a transaction runs are handled together in the next one (up to
 * `maxBatch`, in delivery order), as the capture's group commit does: an idle consumer handles
 * each event at once, a busy one pays one transaction per batch instead of one per event. If a
 * batch's transaction fails, nothing of it stays and its events are handled again one per
 * transaction, so one failing event holds back no other. A handler may therefore run more than
 * once for an event, but its effects commit once.
 *
 * On JetStream the consumer is a durable pull consumer named `name`; on the in-process bus the
 * same contract holds (see in-process-bus.ts).
 */
import { isTransientError, type Executor, type Queryable } from '@niaga/db';
import type { EventEnvelope, EventType } from '@niaga/protocol';
import { backoffDelay, type BackoffPolicy } from '@niaga/protocol';
import { silentEventLogger, type Delivery, type EventBus, type EventLogger } from './event-bus.ts';

export interface ConsumeOptions {
  /** Durable name: the JetStream consumer and the inbox rows are keyed by it. */
  readonly name: string;
  readonly types: readonly EventType[];
  readonly handle: (event: EventEnvelope, tx: Queryable) => Promise<void>;
  /**
   * Runs first in each transaction with the events it is about to handle (those not handled
   * before), e.g. to lock every row the batch will lock, in one fixed order, so that two
   * transactions cannot deadlock. It must tolerate events the handler would refuse.
   */
  readonly prepare?: (events: readonly EventEnvelope[], tx: Queryable) => Promise<void>;
  /**
   * At most this many events per transaction (default 8; 1 handles each on its own). A batch
   * holds the row locks of all its events until it commits, and other writers wait for them
   * (push-throughput, bench/RESULTS.md: with 32 orders per batch, 2.5 push connections on average
   * waited for the saga's stock locks and pushes slowed; with 8, 0.5 did and pushes kept pace).
   */
  readonly maxBatch?: number;
  readonly retry?: BackoffPolicy;
  /**
   * After this many failed deliveries the event is dropped for this consumer (and logged), unless
   * the last failure was the database being unavailable: that one is retried however long it takes.
   */
  readonly maxAttempts?: number;
  /** Unacked deliveries come back after this long. */
  readonly ackWaitMs?: number;
  /** Test hook: return true to skip the ack after commit, as if it were lost on the way. */
  readonly loseAck?: (event: EventEnvelope, attempt: number) => boolean;
}

export interface ConsumerContext {
  readonly db: Executor;
  readonly bus: EventBus;
  readonly logger?: EventLogger;
}

export interface Consumer {
  stop(): Promise<void>;
}

type Handlers = Pick<ConsumeOptions, 'handle' | 'prepare'>;

/**
 * Runs `handle` for each of `events` not yet in the consumer's inbox, in order, inside one
 * transaction that records them there; returns how many it handled now.
 */
export async function handleOnce(db: Executor, name: string, events: readonly EventEnvelope[], handlers: Handlers): Promise<number> {
  return db.transaction(async (tx) => {
    // In id order, so two instances recording overlapping batches cannot deadlock on the index.
    const { rows } = await tx.query<{ event_id: string }>(
      'insert into events.inbox (consumer, event_id) select $1, id from unnest($2::uuid[]) as id order by id on conflict do nothing returning event_id',
      [name, events.map((event) => event.id)],
    );
    // Postgres answers uuids in lower case. The same event twice in one batch is handled once.
    const unseen = new Set(rows.map((row) => row.event_id));
    const fresh = events.filter((event) => unseen.delete(event.id.toLowerCase()));
    if (fresh.length > 0) await handlers.prepare?.(fresh, tx);
    for (const event of fresh) await handlers.handle(event, tx);
    return fresh.length;
  });
}

export async function consume(context: ConsumerContext, options: ConsumeOptions): Promise<Consumer> {
  const { db, bus } = context;
  const logger = context.logger ?? silentEventLogger;
  const retry = options.retry ?? { initialMs: 500, maxMs: 60_000 };
  const maxAttempts = options.maxAttempts ?? 50;
  const maxBatch = Math.max(1, options.maxBatch ?? 8);

  /**
   * Answers the bus. An answer can fail (JetStream's connection closed meanwhile, its
   * replacement does not know the message): the event then comes back after the ack wait, and
   * the inbox knows it if its transaction committed.
   */
  const answer = (delivery: Delivery, how: 'ack' | 'retry' | 'drop', delayMs = 0) => {
    try {
      if (how === 'ack') {
        if (!options.loseAck?.(delivery.event, delivery.attempt)) delivery.ack();
      } else if (how === 'retry') delivery.retry(delayMs);
      else delivery.drop();
    } catch (error) {
      logger.warn({ err: error, consumer: options.name, eventID: delivery.event.id, answer: how }, 'could not answer the bus for an event; it will be handed again');
    }
  };

  const handleAlone = async (delivery: Delivery): Promise<void> => {
    const { event, attempt } = delivery;
    try {
      const handled = await handleOnce(db, options.name, [event], options);
      if (handled === 0) logger.info({ consumer: options.name, eventID: event.id }, 'event already processed; acking the redelivery');
    } catch (error) {
      const databaseAway = isTransientError(error);
      // Deliveries during a database outage count as attempts on the bus too: a long outage would
      // otherwise drop every event that came in meanwhile (an order never reserved, for ever).
      if (attempt >= maxAttempts && !databaseAway) {
        logger.error({ err: error, consumer: options.name, eventID: event.id, type: event.type, attempt }, 'event handler failed too often; dropping the event');
        answer(delivery, 'drop');
        return;
      }
      const delayMs = backoffDelay(retry, attempt);
      const why = databaseAway ? 'the database is unavailable; the event waits for it' : 'event handler failed; retrying';
      logger.warn({ err: error, consumer: options.name, eventID: event.id, type: event.type, attempt, delayMs }, why);
      answer(delivery, 'retry', delayMs);
      return;
    }
    answer(delivery, 'ack');
  };

  const handleBatch = async (batch: readonly Delivery[]): Promise<void> => {
    if (batch.length > 1) {
      let committed = false;
      try {
        await handleOnce(db, options.name, batch.map((delivery) => delivery.event), options);
        committed = true;
      } catch (error) {
        logger.info({ err: error, consumer: options.name, events: batch.length }, 'a batch of events failed; handling them one by one');
      }
      if (committed) {
        for (const delivery of batch) answer(delivery, 'ack');
        return;
      }
    }
    for (const delivery of batch) await handleAlone(delivery);
  };

  // Deliveries wait here while a transaction runs; the bus hands the next one once there is room.
  const queue: Delivery[] = [];
  let running: Promise<void> | undefined;
  let roomMade: (() => void) | undefined;
  const drain = async () => {
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      roomMade?.();
      // Nothing here should throw (handleBatch answers every failure); if something does, the
      // batch is not acked and comes back, and the drain goes on with the next.
      await handleBatch(batch).catch((error: unknown) => logger.error({ err: error, consumer: options.name }, 'handling a batch of events failed unexpectedly'));
    }
    running = undefined;
  };
  let stopped = false;
  const deliver = async (delivery: Delivery): Promise<void> => {
    if (stopped) return; // never acked: handed again later
    queue.push(delivery);
    running ??= drain();
    while (queue.length >= maxBatch) await new Promise<void>((resolve) => (roomMade = resolve));
  };

  const subscription = await bus.subscribe({
    name: options.name,
    types: options.types,
    deliver,
    ...(options.ackWaitMs === undefined ? {} : { ackWaitMs: options.ackWaitMs }),
  });
  return {
    async stop() {
      stopped = true;
      await subscription.stop();
      // Deliveries still queued are never acked: the bus hands them again after a restart.
      queue.length = 0;
      roomMade?.();
      await running;
    },
  };
}
