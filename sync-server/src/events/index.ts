/**
 * The event system of one server instance: the bus (JetStream when NATS_URL is set, else the
 * in-process bus), the outbox relay draining events.outbox into it, and the durable consumers.
 * Start it once per process; stop() ends the relay, then the consumers, then the connection.
 */
import type { Executor } from '@niaga/db';
import type { BackoffPolicy } from '@niaga/protocol';
import { consume, type Consumer, type ConsumeOptions } from './consumer.ts';
import { silentEventLogger, type EventBus, type EventLogger } from './event-bus.ts';
import { createInProcessBus } from './in-process-bus.ts';
import { createJetStreamBus, type JetStreamBusOptions } from './jetstream-bus.ts';
import { startOutboxRelay, type OutboxRelayOptions } from './outbox-relay.ts';

export { consume, handleOnce, type Consumer, type ConsumeOptions } from './consumer.ts';
export type { Delivery, EventBus, EventLogger, PublishResult } from './event-bus.ts';
export { EventBusUnavailableError, EventErrorCode } from './event-errors.ts';
export { createInProcessBus } from './in-process-bus.ts';
export { createJetStreamBus, type JetStreamBusOptions } from './jetstream-bus.ts';
export { startOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from './outbox-relay.ts';
export { outboxChannel, writeEvent, type EventEnvelope, type EventType, type NewEvent } from './outbox.ts';

export interface EventRelayOptions {
  readonly db: Executor;
  /** Set: JetStream. Unset: the in-process bus (embedded mode). */
  readonly natsUrl: string | undefined;
  readonly logger?: EventLogger;
  readonly jetstream?: Omit<JetStreamBusOptions, 'url' | 'logger'>;
  readonly relay?: Pick<OutboxRelayOptions, 'batchSize' | 'pollIntervalMs' | 'retry' | 'beforeMark' | 'onPublished'>;
  readonly inProcessReplayWindowMs?: number;
  readonly consumerRetry?: BackoffPolicy;
}

export interface EventSystem {
  readonly bus: EventBus;
  /** Starts a durable consumer; it stops with the system. */
  consume(options: ConsumeOptions): Promise<Consumer>;
  /** Drain the outbox now instead of at the next notification or poll. */
  wake(): void;
  stop(): Promise<void>;
}

export async function startEventRelay(options: EventRelayOptions): Promise<EventSystem> {
  const { db } = options;
  const logger = options.logger ?? silentEventLogger;
  const bus = options.natsUrl
    ? createJetStreamBus({ ...options.jetstream, url: options.natsUrl, logger })
    : createInProcessBus({ db, logger, ...(options.inProcessReplayWindowMs === undefined ? {} : { replayWindowMs: options.inProcessReplayWindowMs }) });
  let relay;
  try {
    relay = await startOutboxRelay({ ...options.relay, db, bus, logger, streamKey: options.natsUrl ? (options.jetstream?.stream ?? 'NIAGA') : 'in-process' });
  } catch (error) {
    await bus.close();
    throw error;
  }
  logger.info({ bus: bus.kind }, 'outbox relay started');
  const consumers = new Set<Consumer>();
  return {
    bus,
    async consume(consumeOptions) {
      const started = await consume({ db, bus, logger }, { ...(options.consumerRetry ? { retry: options.consumerRetry } : {}), ...consumeOptions });
      const consumer: Consumer = {
        stop: async () => {
          consumers.delete(consumer);
          await started.stop();
        },
      };
      consumers.add(consumer);
      return consumer;
    },
    wake: () => relay.wake(),
    async stop() {
      await relay.stop();
      await Promise.all([...consumers].map((consumer) => consumer.stop()));
      await bus.close();
    },
  };
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The instance's event system: `app.events.consume({…})` starts a durable consumer. */
    events: EventSystem;
  }
}
