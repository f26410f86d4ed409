/**
 * What the relay publishes through and consumers read from: NATS JetStream in production, an
 * in-process bus in embedded mode. Both deliver each event at least once to each durable consumer;
 * consumers dedupe through events.inbox (consumer.ts).
 */
import type { EventEnvelope, EventType } from '@niaga/protocol';

/** The slice of a pino logger the event system uses; pass the server's logger or a child of it. */
export interface EventLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export const silentEventLogger: EventLogger = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * How long an event can still be delivered (again) after it was published: the JetStream stream's
 * max age and the in-process bus's replay window. Consumers' inbox rows must outlive it.
 */
export const eventRedeliveryWindowMs = 7 * 24 * 3600_000;

export interface PublishResult {
  /** The event's position in the JetStream stream; undefined on the in-process bus. */
  readonly streamSeq: number | undefined;
  /** The bus already held this event id (a republish it dropped). */
  readonly duplicate: boolean;
}

/** One delivery of one event to one consumer. Exactly one of ack/retry should be called. */
export interface Delivery {
  readonly event: EventEnvelope;
  /** How many times this consumer has been handed this event, this one included. */
  readonly attempt: number;
  ack(): void;
  /** Hand it again after `delayMs` (the handler failed). */
  retry(delayMs: number): void;
  /** Never hand it again (it cannot be read, or it failed too often). */
  drop(): void;
}

export interface SubscribeOptions {
  /** The durable consumer's name: its position and its inbox rows survive restarts. */
  readonly name: string;
  readonly types: readonly EventType[];
  /**
   * Deliveries of one subscription are handed one at a time, in publication order (retries
   * aside): the next once this promise resolves. The consumer may ack a delivery later than that.
   */
  readonly deliver: (delivery: Delivery) => Promise<void>;
  /** How long the bus waits for an ack before handing the event again (JetStream ack_wait). */
  readonly ackWaitMs?: number;
}

export interface Subscription {
  stop(): Promise<void>;
}

export interface EventBus {
  readonly kind: 'jetstream' | 'in-process';
  /** Resolves once the bus stored the event; throws when it could not (the relay retries). */
  publish(event: EventEnvelope): Promise<PublishResult>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /**
   * Events the bus stored after stream sequence `recordedThrough` (the last one the outbox
   * recorded), and the stream's last sequence. The relay marks these sent instead of publishing
   * them again: a relay stopped between publishing and marking them. Absent on the in-process bus.
   */
  unrecordedEventIDs?(recordedThrough: number): Promise<{ events: { id: string; streamSeq: number }[]; lastSeq: number }>;
  /** Calls `listener` each time the bus (re)connects; returns a function that removes it. */
  onReady(listener: () => void): () => void;
  /** A cheap check before starting a batch: false while the connection is known to be down. */
  isReady(): boolean;
  close(): Promise<void>;
}

/** The subject an event type is published on, under a prefix (default `niaga`). */
export function subjectOf(prefix: string, type: string): string {
  return `${prefix}.${type}`;
}
