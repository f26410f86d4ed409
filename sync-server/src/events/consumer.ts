/**
 * Durable event consumers with effectively-once handling. For each delivered event, one database
 * transaction first records (consumer, event id) in events.inbox and then runs the handler; the
 * event is acked only after that transaction committed. So:
 * - a redelivery (ack lost, crash between commit and ack) finds the inbox row: acked, not handled;
 * - a handler that throws rolls back its effects and the inbox row: the event is retried with
 *   backoff, and dropped (logged) only after maxAttempts;
 * - a handler may write further events with writeEvent(tx, …): they commit with its effects.
 * On JetStream the consumer is a durable pull consumer named `name`; on the in-process bus the
 * same contract holds (see in-process-bus.ts).
 */
import type { Executor, Queryable } from '@niaga/db';
import type { EventEnvelope, EventType } from '@niaga/protocol';
import { backoffDelay, type BackoffPolicy } from '@niaga/protocol';
import { silentEventLogger, type Delivery, type EventBus, type EventLogger } from './event-bus.ts';

export interface ConsumeOptions {
  /** Durable name: the JetStream consumer and the inbox rows are keyed by it. */
  readonly name: string;
  readonly types: readonly EventType[];
  readonly handle: (event: EventEnvelope, tx: Queryable) => Promise<void>;
  readonly retry?: BackoffPolicy;
  /** After this many failed deliveries the event is dropped for this consumer (and logged). */
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

/** Runs `handle` once per event inside the transaction that records it; true if it ran now. */
export async function handleOnce(db: Executor, name: string, event: EventEnvelope, handle: ConsumeOptions['handle']): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ event_id: string }>(
      'insert into events.inbox (consumer, event_id) values ($1, $2) on conflict do nothing returning event_id',
      [name, event.id],
    );
    if (rows.length === 0) return false;
    await handle(event, tx);
    return true;
  });
}

export async function consume(context: ConsumerContext, options: ConsumeOptions): Promise<Consumer> {
  const { db, bus } = context;
  const logger = context.logger ?? silentEventLogger;
  const retry = options.retry ?? { initialMs: 500, maxMs: 60_000 };
  const maxAttempts = options.maxAttempts ?? 50;

  const deliver = async (delivery: Delivery): Promise<void> => {
    const { event, attempt } = delivery;
    try {
      const handled = await handleOnce(db, options.name, event, options.handle);
      if (!handled) logger.info({ consumer: options.name, eventID: event.id }, 'event already processed; acking the redelivery');
    } catch (error) {
      if (attempt >= maxAttempts) {
        logger.error({ err: error, consumer: options.name, eventID: event.id, type: event.type, attempt }, 'event handler failed too often; dropping the event');
        delivery.drop();
        return;
      }
      const delayMs = backoffDelay(retry, attempt);
      logger.warn({ err: error, consumer: options.name, eventID: event.id, type: event.type, attempt, delayMs }, 'event handler failed; retrying');
      delivery.retry(delayMs);
      return;
    }
    if (options.loseAck?.(event, attempt)) return;
    delivery.ack();
  };

  return bus.subscribe({
    name: options.name,
    types: options.types,
    deliver,
    ...(options.ackWaitMs === undefined ? {} : { ackWaitMs: options.ackWaitMs }),
  });
}
