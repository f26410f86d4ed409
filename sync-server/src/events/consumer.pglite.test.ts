/**
 * The consumer's own guarantees, on embedded PGlite with a scripted bus (so the test decides what
 * the bus hands over and how its acks behave).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createPgliteExecutor, type PgliteExecutor } from '@niaga/db/pglite';
import { migrate } from '@niaga/migrations';
import type { EventEnvelope } from '@niaga/protocol';
import { consume } from './consumer.ts';
import type { Delivery, EventBus, SubscribeOptions } from './event-bus.ts';
import { waitFor } from './events-test-kit.ts';

let db: PgliteExecutor;
beforeAll(async () => {
  db = await createPgliteExecutor();
  await migrate(db);
  await db.exec('create table public.handled (event_id uuid primary key)');
}, 60_000);
afterAll(async () => {
  await db.close();
});

/** A bus that hands over what the test gives it, one at a time as the contract says. */
function scriptedBus() {
  let subscriber: SubscribeOptions | undefined;
  let handing = Promise.resolve();
  const bus: EventBus = {
    kind: 'in-process',
    publish: async () => ({ streamSeq: undefined, duplicate: false }),
    subscribe: async (options) => {
      subscriber = options;
      return { stop: async () => void (await handing) };
    },
    onReady: () => () => {},
    isReady: () => true,
    close: async () => {},
  };
  const hand = (delivery: Delivery) => (handing = handing.then(() => subscriber!.deliver(delivery)));
  return { bus, hand };
}

const envelope = (): EventEnvelope => ({ id: randomUUID(), type: 'stock.counted', occurredAt: new Date().toISOString(), payload: {} });

test('an answer the bus cannot take (its connection closed) loses nothing and does not stop the consumer', async () => {
  const { bus, hand } = scriptedBus();
  const acked: string[] = [];
  const delivery = (event: EventEnvelope, ackThrows: boolean): Delivery => ({
    event,
    attempt: 1,
    ack: () => {
      if (ackThrows) throw new Error('CONNECTION_CLOSED');
      acked.push(event.id);
    },
    retry: () => {},
    drop: () => {},
  });
  const consumer = await consume(
    { db, bus },
    {
      name: 'answers',
      types: ['stock.counted'],
      handle: async (event, tx) => void (await tx.query('insert into public.handled (event_id) values ($1)', [event.id])),
    },
  );
  const events = Array.from({ length: 12 }, envelope);
  // Every other ack throws, in batches and alone.
  for (const [index, event] of events.entries()) void hand(delivery(event, index % 2 === 0));
  const handled = async () => (await db.query<{ n: number }>('select count(*)::int as n from public.handled')).rows[0]!.n;
  await waitFor('every event to be handled', async () => (await handled()) === events.length);
  await waitFor('the acks that could be sent', () => acked.length === events.length / 2);

  // The consumer goes on, and a redelivery of an event whose ack was lost is acked, not handled again.
  const later = envelope();
  await hand(delivery(later, false));
  await hand(delivery(events[0]!, false));
  await waitFor('the later event and the redelivery to be acked', () => acked.includes(later.id) && acked.includes(events[0]!.id));
  expect(await handled()).toBe(events.length + 1);
  await consumer.stop();
});
