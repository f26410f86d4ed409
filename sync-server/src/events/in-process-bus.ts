/**
 * The embedded bus (no NATS_URL): the relay publishes into memory and each subscription hands its
 * events to its consumer one at a time, in publication order, with the same contract as a
 * JetStream durable consumer: an event not acked within ackWaitMs, or retried, is handed again.
 *
 * Durability comes from the database rather than from the bus: when a subscription starts it
 * first replays the outbox events of its types that its inbox has not recorded (within
 * replayWindowMs, like the stream's max age), so events published before a crash or before the
 * consumer existed still arrive. Replayed events may also arrive live; the inbox dedupes.
 * Meant for one process (embedded PGlite): with several instances each bus only sees what its own
 * relay published live, though every instance replays on start.
 */
import type { Executor } from '@niaga/db';
import type { EventEnvelope } from '@niaga/protocol';
import { eventRedeliveryWindowMs, silentEventLogger, type Delivery, type EventBus, type EventLogger, type SubscribeOptions, type Subscription } from './event-bus.ts';
import { envelopeOf, outboxColumns, type OutboxRow } from './outbox.ts';

export interface InProcessBusOptions {
  readonly db: Executor;
  readonly replayWindowMs?: number;
  readonly logger?: EventLogger;
}

interface Pending {
  readonly event: EventEnvelope;
  readonly attempt: number;
}

class InProcessSubscription {
  private readonly queue: Pending[] = [];
  private readonly queued = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private running: Promise<void> | undefined;
  private draining = false;
  private halted = false;
  readonly types: ReadonlySet<string>;

  constructor(
    private readonly options: SubscribeOptions,
    private readonly logger: EventLogger,
  ) {
    this.types = new Set(options.types);
  }

  get name(): string {
    return this.options.name;
  }

  enqueue(event: EventEnvelope, attempt = 1): void {
    if (this.halted || this.queued.has(event.id)) return;
    this.queued.add(event.id);
    this.queue.push({ event, attempt });
    this.kick();
  }

  /** Replayed events go before what arrived live meanwhile. */
  prepend(events: readonly EventEnvelope[]): void {
    const fresh = events.filter((event) => !this.queued.has(event.id));
    for (const event of fresh) this.queued.add(event.id);
    this.queue.unshift(...fresh.map((event) => ({ event, attempt: 1 })));
    if (fresh.length > 0) this.kick();
  }

  private kick(): void {
    if (this.draining || this.halted) return;
    // Set before the first await, so an enqueue while the loop runs never starts a second one.
    this.draining = true;
    this.running = this.drain();
  }

  private later(pending: Pending, delayMs: number): void {
    // A consumer answering after the stop: the event comes back at the next start (replay).
    if (this.halted) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.enqueue(pending.event, pending.attempt + 1);
    }, delayMs);
    this.timers.add(timer);
  }

  private async drain(): Promise<void> {
    // Yield first, so publish() returns before any handler runs (the relay is mid-transaction).
    await Promise.resolve();
    for (;;) {
      const pending = this.queue.shift();
      // Cleared in the same tick as the last shift, so an enqueue right after starts a new loop.
      if (!pending || this.halted) {
        this.draining = false;
        return;
      }
      this.queued.delete(pending.event.id);
      let settled = false;
      // An ack never sent is handled like JetStream's: the event comes back after ackWaitMs.
      const ackWait: NodeJS.Timeout = setTimeout(() => settle(() => this.later(pending, 0))(), this.options.ackWaitMs ?? 30_000);
      this.timers.add(ackWait);
      const settle = (then: () => void) => () => {
        if (settled) return;
        settled = true;
        clearTimeout(ackWait);
        this.timers.delete(ackWait);
        then();
      };
      const delivery: Delivery = {
        event: pending.event,
        attempt: pending.attempt,
        ack: settle(() => {}),
        retry: (delayMs) => settle(() => this.later(pending, delayMs))(),
        drop: settle(() => {}),
      };
      try {
        // The consumer may take the next event before it acks this one (it handles them in batches).
        await this.options.deliver(delivery);
      } catch (error) {
        this.logger.error({ err: error, consumer: this.name, eventID: pending.event.id }, 'event delivery failed');
        delivery.retry(1000);
      }
    }
  }

  async stop(): Promise<void> {
    this.halted = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.running;
  }
}

export function createInProcessBus(options: InProcessBusOptions): EventBus {
  const { db } = options;
  const logger = options.logger ?? silentEventLogger;
  const replayWindowMs = options.replayWindowMs ?? eventRedeliveryWindowMs;
  const subscriptions = new Set<InProcessSubscription>();

  return {
    kind: 'in-process',
    isReady: () => true,
    onReady: () => () => {},

    async publish(event) {
      for (const subscription of subscriptions) {
        if (subscription.types.has(event.type)) subscription.enqueue(event);
      }
      return { streamSeq: undefined, duplicate: false };
    },

    async subscribe(subscribe): Promise<Subscription> {
      const subscription = new InProcessSubscription(subscribe, logger);
      // Listen first, then replay: an event published in between arrives twice, never zero times.
      subscriptions.add(subscription);
      const { rows } = await db.query<OutboxRow>(
        `select ${outboxColumns} from events.outbox o
          where o.type = any($1::text[]) and o.created_at > now() - make_interval(secs => $3)
            and not exists (select 1 from events.inbox i where i.consumer = $2 and i.event_id = o.id)
          order by o.seq`,
        [[...subscribe.types], subscribe.name, replayWindowMs / 1000],
      );
      if (rows.length > 0) logger.info({ consumer: subscribe.name, events: rows.length }, 'replaying events the consumer has not processed');
      subscription.prepend(rows.map(envelopeOf));
      return {
        stop: async () => {
          subscriptions.delete(subscription);
          await subscription.stop();
        },
      };
    },

    async close() {
      await Promise.all([...subscriptions].map((subscription) => subscription.stop()));
      subscriptions.clear();
    },
  };
}
