/**
 * The production bus: NATS JetStream. Client: `@nats-io/transport-node` + `@nats-io/jetstream` (v3),
 * the current official NATS client for Node; `nats` v2 is in maintenance only, and v3 keeps
 * JetStream in its own package with the pull-consumer API (`consumers.get().consume()`) we use.
 *
 * - Stream `NIAGA` over `niaga.>`, created or updated idempotently on every (re)connect.
 * - Each event is published on `niaga.<type>` with its id as the JetStream message id
 *   (`Nats-Msg-Id`): a republish within the stream's duplicate window is dropped by the server.
 *   The window is finite (default 2 min): a relay that published, failed to mark and came back later
 *   than that would publish a second copy. The relay therefore also reconciles on start and after
 *   every failure (unrecordedEventIDs: the stream messages past the last sequence the outbox
 *   recorded, at most reconcileScanLimit of them, which it marks sent instead of publishing
 *   again), so the window is only the second line of defence.
 * - Consumers are durable pull consumers with explicit acks.
 * - The connection reconnects forever; while it is down publish() fails fast (the relay backs off
 *   and retries, the events wait in the outbox) and onReady listeners run after it is back.
 */
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamConfig,
} from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { Compile } from 'typebox/compile';
import { EventEnvelope } from '@niaga/protocol';
import { Alarm, backoffDelay, type BackoffPolicy } from '@niaga/protocol';
import { eventRedeliveryWindowMs, silentEventLogger, subjectOf, type EventBus, type EventLogger, type PublishResult, type SubscribeOptions, type Subscription } from './event-bus.ts';
import { EventBusUnavailableError } from './event-errors.ts';

export interface JetStreamBusOptions {
  readonly url: string;
  readonly stream?: string;
  readonly subjectPrefix?: string;
  /** Republishes of an event id within this window are dropped by the server. */
  readonly duplicateWindowMs?: number;
  /** How long the stream keeps events (a consumer down for longer misses the oldest). */
  readonly maxAgeMs?: number;
  readonly publishTimeoutMs?: number;
  /** At most this many stream messages are read when reconciling after a crash. */
  readonly reconcileScanLimit?: number;
  readonly retry?: BackoffPolicy;
  readonly connectionName?: string;
  readonly logger?: EventLogger;
}

const msgIDHeader = 'Nats-Msg-Id';
/** Every delivered message is checked against the envelope: compiled once. */
const envelope = Compile(EventEnvelope);

/** "2.10.3" >= "2.10.0": multiple filter subjects per consumer arrived in NATS 2.10. */
function atLeast(version: string | undefined, major: number, minor: number): boolean {
  const [a = 0, b = 0] = (version ?? '0.0').split('.').map((part) => Number.parseInt(part, 10));
  return a > major || (a === major && b >= minor);
}

function isNotFound(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

export function createJetStreamBus(options: JetStreamBusOptions): EventBus {
  const streamName = options.stream ?? 'NIAGA';
  const prefix = options.subjectPrefix ?? 'niaga';
  const duplicateWindowMs = options.duplicateWindowMs ?? 120_000;
  const maxAgeMs = Math.max(options.maxAgeMs ?? eventRedeliveryWindowMs, duplicateWindowMs);
  const publishTimeoutMs = options.publishTimeoutMs ?? 5000;
  const scanLimit = options.reconcileScanLimit ?? 1000;
  const retry = options.retry ?? { initialMs: 200, maxMs: 10_000 };
  const logger = options.logger ?? silentEventLogger;

  let nc: NatsConnection | undefined;
  let js: JetStreamClient | undefined;
  let jsm: JetStreamManager | undefined;
  let ready = false;
  let stopped = false;
  const listeners = new Set<() => void>();
  const subscriptions = new Set<{ stop(): Promise<void> }>();
  const alarm = new Alarm();

  const streamConfig = (): Partial<StreamConfig> & { name: string } => ({
    name: streamName,
    subjects: [`${prefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(maxAgeMs),
    duplicate_window: nanos(duplicateWindowMs),
  });

  const ensureStream = async (manager: JetStreamManager): Promise<void> => {
    const wanted = streamConfig();
    try {
      const info = await manager.streams.info(streamName);
      const subjects = info.config.subjects ?? [];
      if (!subjects.includes(`${prefix}.>`) || info.config.duplicate_window !== wanted.duplicate_window || info.config.max_age !== wanted.max_age) {
        await manager.streams.update(streamName, {
          ...info.config,
          subjects: [...new Set([...subjects, `${prefix}.>`])],
          duplicate_window: wanted.duplicate_window!,
          max_age: wanted.max_age!,
        });
        logger.info({ stream: streamName }, 'updated the event stream');
      }
    } catch (error) {
      if (!isNotFound(error, JetStreamApiCodes.StreamNotFound)) throw error;
      await manager.streams.add(wanted);
      logger.info({ stream: streamName }, 'created the event stream');
    }
  };

  const becomeReady = async (connection: NatsConnection, announce: boolean): Promise<void> => {
    const manager = await jetstreamManager(connection);
    await ensureStream(manager);
    jsm = manager;
    js = jetstream(connection);
    ready = true;
    if (announce) for (const listener of listeners) listener();
  };

  /**
   * Until ready again: after a (re)connect, announced to onReady listeners (the relay retries at
   * once), or when a publish failed and the stream may be gone, not announced (the relay keeps its
   * backoff, else a publish that keeps failing would be retried in a tight loop).
   */
  let recovering: Promise<void> | undefined;
  const recover = (connection: NatsConnection, announce: boolean): void => {
    ready = false;
    recovering ??= (async () => {
      let failures = 0;
      while (!stopped && nc === connection && !connection.isClosed()) {
        try {
          await becomeReady(connection, announce);
          return;
        } catch (error) {
          failures += 1;
          logger.warn({ err: error, failures }, 'JetStream is not usable yet; retrying');
          await alarm.sleep(backoffDelay(retry, failures));
        }
      }
    })().finally(() => (recovering = undefined));
  };

  const watch = async (connection: NatsConnection): Promise<void> => {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect') {
        ready = false;
        logger.warn({}, 'NATS disconnected; events wait in the outbox');
      } else if (status.type === 'reconnect') {
        logger.info({}, 'NATS reconnected');
        recover(connection, true);
      }
    }
  };

  const run = async (): Promise<void> => {
    let failures = 0;
    while (!stopped) {
      try {
        const connection = await connect({
          servers: options.url,
          name: options.connectionName ?? 'niaga-events',
          maxReconnectAttempts: -1,
          reconnectTimeWait: 500,
        });
        failures = 0;
        nc = connection;
        void watch(connection).catch(() => {});
        recover(connection, true);
        const closedBy = await connection.closed();
        ready = false;
        if (stopped) return;
        logger.warn({ err: closedBy }, 'NATS connection closed; connecting again');
      } catch (error) {
        failures += 1;
        logger.warn({ err: error, failures }, 'cannot connect to NATS; retrying');
        await alarm.sleep(backoffDelay(retry, failures));
      }
    }
  };
  const running = run();

  const wantedSubjects = (types: readonly string[]) => types.map((type) => subjectOf(prefix, type));

  const consumerConfig = (subscribe: SubscribeOptions): Partial<ConsumerConfig> => {
    const subjects = wantedSubjects(subscribe.types);
    const filter =
      subjects.length === 1
        ? { filter_subject: subjects[0]! }
        : atLeast(nc?.info?.version, 2, 10)
          ? { filter_subjects: subjects }
          : { filter_subject: `${prefix}.>` }; // NATS < 2.10: one filter; the rest is skipped here
    return {
      durable_name: subscribe.name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(subscribe.ackWaitMs ?? 30_000),
      max_deliver: -1,
      ...filter,
    };
  };

  const decode = (message: JsMsg): EventEnvelope | undefined => {
    try {
      const value: unknown = message.json();
      return envelope.Check(value) ? value : undefined;
    } catch {
      return undefined;
    }
  };

  return {
    kind: 'jetstream',

    isReady: () => ready,

    onReady(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async publish(event): Promise<PublishResult> {
      const client = js;
      const connection = nc;
      if (!ready || !client || !connection) throw new EventBusUnavailableError('NATS is not connected');
      try {
        const ack = await client.publish(subjectOf(prefix, event.type), JSON.stringify(event), {
          msgID: event.id,
          timeout: publishTimeoutMs,
          expect: { streamName },
        });
        return { streamSeq: ack.seq, duplicate: ack.duplicate };
      } catch (error) {
        // No stream (a NATS that lost its store) or no JetStream answers: check and recreate.
        if (!connection.isClosed()) recover(connection, false);
        throw new EventBusUnavailableError(`Publishing ${event.type} to JetStream failed`, { cause: error });
      }
    },

    async unrecordedEventIDs(recordedThrough) {
      const manager = jsm;
      if (!ready || !manager) throw new EventBusUnavailableError('NATS is not connected');
      const { state } = await manager.streams.info(streamName);
      if (state.last_seq <= recordedThrough) return { events: [], lastSeq: state.last_seq };
      const from = Math.max(recordedThrough + 1, state.first_seq, state.last_seq - scanLimit + 1);
      const events: { id: string; streamSeq: number }[] = [];
      for (let seq = from; seq <= state.last_seq; seq++) {
        const stored = await manager.streams.getMessage(streamName, { seq });
        const id = stored?.header?.get(msgIDHeader);
        if (id) events.push({ id, streamSeq: seq });
      }
      return { events, lastSeq: state.last_seq };
    },

    async subscribe(subscribe): Promise<Subscription> {
      const wanted = new Set(wantedSubjects(subscribe.types));
      let messages: ConsumerMessages | undefined;
      let halted = false;
      const wait = new Alarm();
      /** Hands the messages to the consumer one at a time; resolves when the iterator stops. */
      const handOut = async (current: ConsumerMessages) => {
        for await (const message of current) {
          if (!wanted.has(message.subject)) {
            message.ack();
            continue;
          }
          const event = decode(message);
          if (!event) {
            logger.error({ consumer: subscribe.name, subject: message.subject, seq: message.seq }, 'dropping an event that is not a valid envelope');
            message.term();
            continue;
          }
          await subscribe.deliver({
            event,
            attempt: message.info.deliveryCount,
            ack: () => message.ack(),
            retry: (delayMs) => message.nak(delayMs),
            drop: () => message.term(),
          });
          if (halted) break;
        }
      };
      const loop = async () => {
        let failures = 0;
        while (!halted && !stopped) {
          const client = js;
          const manager = jsm;
          if (!ready || !client || !manager) {
            await wait.sleep(200);
            continue;
          }
          try {
            const config = consumerConfig(subscribe);
            // A durable create with a changed config updates it (filters, ack wait).
            await manager.consumers.add(streamName, config);
            const consumer = await client.consumers.get(streamName, subscribe.name);
            // A small buffer: buffered messages' ack wait runs while earlier ones are being handled.
            const current = await consumer.consume({ max_messages: 16 });
            messages = current;
            void (async () => {
              for await (const status of current.status()) {
                // The library recovers from most faults; when heartbeats stop, start over.
                if (status.type === 'heartbeats_missed' && status.count >= 2) current.stop();
              }
            })().catch(() => {});
            failures = 0;
            try {
              await handOut(current);
            } finally {
              current.stop();
            }
          } catch (error) {
            if (halted || stopped) break;
            failures += 1;
            logger.warn({ err: error, consumer: subscribe.name, failures }, 'event consumer interrupted; resuming');
            await wait.sleep(backoffDelay(retry, failures));
          }
        }
      };
      const done = loop();
      const handle = {
        async stop() {
          halted = true;
          subscriptions.delete(handle);
          messages?.stop();
          wait.wake();
          await done;
        },
      };
      subscriptions.add(handle);
      return handle;
    },

    async close() {
      stopped = true;
      alarm.wake();
      await Promise.all([...subscriptions].map((subscription) => subscription.stop()));
      await nc?.close().catch(() => {});
      await running;
    },
  };
}
