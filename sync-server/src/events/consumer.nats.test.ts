/**
 * Durable JetStream consumers against real Postgres and NATS: inbox dedupe of redeliveries,
 * handler effects committed with the inbox row, and a saga step writing further events.
 */
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { startEventRelay, writeEvent, type EventSystem } from './index.ts';
import { checkBatching, consumerState, readStream, uniqueStream, unsentCount, waitFor } from './events-test-kit.ts';

let database: TestDatabase;
let events: EventSystem;
let names: { stream: string; subjectPrefix: string };
const natsUrl = inject('natsUrl');

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.exec(`create table public.effects (consumer text not null, event_id uuid not null, note text)`);
  names = uniqueStream();
  events = await startEventRelay({
    db: database.db,
    natsUrl,
    jetstream: { ...names, retry: { initialMs: 50, maxMs: 400 } },
    relay: { pollIntervalMs: 200 },
    consumerRetry: { initialMs: 100, maxMs: 100 },
  });
});
afterAll(async () => {
  await events.stop();
  await database.drop();
});

const effectCount = async (consumer: string, eventID?: string) => {
  const { rows } = await database.db.query<{ n: number }>(
    'select count(*)::int as n from public.effects where consumer = $1 and ($2::uuid is null or event_id = $2)',
    [consumer, eventID ?? null],
  );
  return rows[0]!.n;
};
const inboxCount = async (consumer: string, eventID: string) => {
  const { rows } = await database.db.query<{ n: number }>('select count(*)::int as n from events.inbox where consumer = $1 and event_id = $2', [consumer, eventID]);
  return rows[0]!.n;
};

test('a durable consumer handles each event once: a lost ack is redelivered and deduped, a failed handler leaves nothing and is retried', async () => {
  const ids = await database.db.transaction(async (tx) => {
    const created: string[] = [];
    for (let n = 0; n < 8; n++) created.push(await writeEvent(tx, { type: 'order.created', payload: { n } }));
    await writeEvent(tx, { type: 'payment.processed', payload: { n: 99 } }); // not this consumer's type
    return created;
  });
  const lostAck = ids[2]!;
  const failing = ids[5]!;
  const calls = new Map<string, number>();
  const deliveries: { id: string; attempt: number }[] = [];
  let releaseRetry!: () => void;
  const retryHeld = new Promise<void>((resolve) => (releaseRetry = resolve));

  await events.consume({
    name: 'effects',
    types: ['order.created'],
    ackWaitMs: 500,
    maxBatch: 1, // each event in its own transaction, so the handler's calls can be counted exactly
    handle: async (event, tx) => {
      const call = (calls.get(event.id) ?? 0) + 1;
      calls.set(event.id, call);
      await tx.query('insert into public.effects (consumer, event_id, note) values ($1, $2, $3)', ['effects', event.id, `call ${call}`]);
      if (event.id === failing && call === 1) throw new Error('the handler fails once');
      if (event.id === failing) await retryHeld; // hold the retry open while the test looks
    },
    loseAck: (event, attempt) => {
      deliveries.push({ id: event.id, attempt });
      return event.id === lostAck && attempt === 1;
    },
  });

  // The retry is running (inside its transaction): the failed attempt left no effect and no inbox row.
  await waitFor('the failing event to be retried', () => calls.get(failing) === 2);
  expect(await effectCount('effects', failing)).toBe(0);
  expect(await inboxCount('effects', failing)).toBe(0);
  releaseRetry();

  await waitFor('every event to be handled and acked', async () => {
    const state = await consumerState(natsUrl, names.stream, 'effects');
    return (await effectCount('effects')) === ids.length && state.ackPending === 0 && state.pending === 0;
  });
  // The event whose ack was lost came again and was acked without running the handler twice.
  expect(deliveries.filter((delivery) => delivery.id === lostAck).map((delivery) => delivery.attempt)).toEqual([1, 2]);
  for (const id of ids) {
    expect(calls.get(id), id).toBe(id === failing ? 2 : 1);
    expect(await effectCount('effects', id)).toBe(1);
    expect(await inboxCount('effects', id)).toBe(1);
  }
  expect((await consumerState(natsUrl, names.stream, 'effects')).redelivered).toBe(0);
});

test('a saga step writes its events in the handler’s transaction: order.created → inventory.reserved → order.confirmed, once each', async () => {
  await events.consume({
    name: 'inventory',
    types: ['order.created'],
    handle: async (event, tx) => {
      if (event.payload.saga !== true) return;
      await writeEvent(tx, { type: 'inventory.reserved', payload: { orderId: event.payload.orderId } });
    },
  });
  await events.consume({
    name: 'orders',
    types: ['inventory.reserved', 'inventory.insufficient'],
    handle: async (event, tx) => {
      await writeEvent(tx, { type: 'order.confirmed', payload: { orderId: event.payload.orderId } });
      await tx.query('insert into public.effects (consumer, event_id) values ($1, $2)', ['orders', event.id]);
    },
  });
  const orders = ['o1', 'o2', 'o3'];
  for (const orderId of orders) await database.db.transaction((tx) => writeEvent(tx, { type: 'order.created', payload: { orderId, saga: true } }));

  await waitFor('every order to be confirmed and published', async () => {
    const { rows } = await database.db.query<{ n: number }>(`select count(*)::int as n from events.outbox where type = 'order.confirmed'`);
    return rows[0]!.n === orders.length && (await unsentCount(database.db)) === 0;
  });
  const stored = await readStream(natsUrl, names.stream);
  for (const type of ['inventory.reserved', 'order.confirmed']) {
    const of = stored.filter((event) => event.body.type === type).map((event) => event.body.payload.orderId);
    expect(of.sort()).toEqual(orders);
  }
  expect(await effectCount('orders')).toBe(orders.length);
});

test('a JetStream consumer handles the events that queued up in one transaction; a failing one is isolated and retried', async () => {
  await checkBatching(database.db, (options) => events.consume(options), 'batches');
  await waitFor('every event to be acked', async () => {
    const state = await consumerState(natsUrl, names.stream, 'batches');
    return state.ackPending === 0 && state.pending === 0;
  });
});
