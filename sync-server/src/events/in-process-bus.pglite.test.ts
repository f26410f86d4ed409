/**
 * Embedded mode: embedded PGlite and the in-process bus, with the same consumer contract as on
 * JetStream (inbox dedupe, effects committed with the inbox row, at-least-once delivery across a
 * restart).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createPgliteExecutor, type PgliteExecutor } from '@niaga/db/pglite';
import { migrate } from '@niaga/migrations';
import { startEventRelay, writeEvent } from './index.ts';
import { checkBatching, unsentCount, waitFor } from './events-test-kit.ts';

let db: PgliteExecutor;
const start = () =>
  startEventRelay({ db, natsUrl: undefined, relay: { pollIntervalMs: 100 }, consumerRetry: { initialMs: 50, maxMs: 50 } });

beforeAll(async () => {
  db = await createPgliteExecutor();
  await migrate(db);
  await db.exec('create table public.effects (consumer text not null, event_id uuid not null)');
}, 60_000);
afterAll(async () => {
  await db.close();
});

const count = async (sql: string, params: unknown[] = []) => (await db.query<{ n: number }>(sql, params)).rows[0]!.n;
const effects = (consumer: string, eventID?: string) =>
  count('select count(*)::int as n from public.effects where consumer = $1 and ($2::uuid is null or event_id = $2)', [consumer, eventID ?? null]);
const inbox = (consumer: string, eventID: string) => count('select count(*)::int as n from events.inbox where consumer = $1 and event_id = $2', [consumer, eventID]);
const addEffect = (consumer: string) => async (event: { id: string }, tx: { query: PgliteExecutor['query'] }) => {
  await tx.query('insert into public.effects (consumer, event_id) values ($1, $2)', [consumer, event.id]);
};

test('the in-process bus delivers each event to a consumer once: lost acks and republishes are deduped, a failed handler is retried with nothing left behind', async () => {
  const events = await start();
  try {
    const ids = await db.transaction(async (tx) => {
      const created: string[] = [];
      for (let n = 0; n < 6; n++) created.push(await writeEvent(tx, { type: 'order.created', payload: { n }, clientID: 'client-1', mutationID: n + 1 }));
      await writeEvent(tx, { type: 'product.updated', payload: {} }); // not this consumer's type
      return created;
    });
    const [lostAck, failing, republished] = [ids[1]!, ids[3]!, ids[4]!];
    const calls = new Map<string, number>();
    const attempts: { id: string; attempt: number }[] = [];
    const effectsSeenByRetry: number[] = [];
    await events.consume({
      name: 'embedded',
      types: ['order.created'],
      ackWaitMs: 200,
      maxBatch: 1, // each event in its own transaction, so the handler's calls can be counted exactly
      handle: async (event, tx) => {
        const call = (calls.get(event.id) ?? 0) + 1;
        calls.set(event.id, call);
        expect(event).toMatchObject({ type: 'order.created', clientId: 'client-1' });
        // Running again at all means the failed attempt's inbox row was rolled back; so was its effect.
        if (event.id === failing && call === 2) {
          effectsSeenByRetry.push((await tx.query<{ n: number }>('select count(*)::int as n from public.effects where event_id = $1', [event.id])).rows[0]!.n);
        }
        await addEffect('embedded')(event, tx);
        if (event.id === failing && call === 1) throw new Error('the handler fails once');
      },
      loseAck: (event, attempt) => {
        attempts.push({ id: event.id, attempt });
        return event.id === lostAck && attempt === 1;
      },
    });
    await waitFor('every event to be handled', async () => (await effects('embedded')) === ids.length && (await unsentCount(db)) === 0);
    await waitFor('the lost ack to be redelivered', () => attempts.some((entry) => entry.id === lostAck && entry.attempt === 2));

    // A relay that publishes an event again (as after a crash before marking it): deduped by the inbox.
    await db.query('update events.outbox set sent_at = null where id = $1', [republished]);
    events.wake();
    await waitFor('the republished event to be delivered again', () => attempts.filter((entry) => entry.id === republished).length === 2);

    for (const id of ids) {
      expect(calls.get(id), id).toBe(id === failing ? 2 : 1);
      expect(await effects('embedded', id)).toBe(1);
      expect(await inbox('embedded', id)).toBe(1);
    }
    expect(effectsSeenByRetry).toEqual([0]);
  } finally {
    await events.stop();
  }
});

test('the in-process bus: events that queue up are handled in one transaction; a failing one is isolated and retried', async () => {
  const events = await start();
  try {
    await checkBatching(db, (options) => events.consume(options), 'embedded-batches');
  } finally {
    await events.stop();
  }
});

test('events published while no consumer ran (or before it processed them) are delivered when it starts again', async () => {
  // A consumer that never gets to handle its events (it fails until the process stops), while the
  // relay marks them sent: nothing in memory survives the restart.
  const first = await start();
  const ids: string[] = [];
  await first.consume({
    name: 'late',
    types: ['stock.counted'],
    handle: async () => {
      throw new Error('not today');
    },
  });
  for (let n = 0; n < 3; n++) ids.push(await db.transaction((tx) => writeEvent(tx, { type: 'stock.counted', payload: { n } })));
  await waitFor('the events to be sent', async () => (await unsentCount(db)) === 0);
  await first.stop();
  expect(await effects('late')).toBe(0);

  const second = await start();
  try {
    const handled: string[] = [];
    await second.consume({
      name: 'late',
      types: ['stock.counted'],
      handle: async (event, tx) => {
        handled.push(event.id);
        await addEffect('late')(event, tx);
      },
    });
    await waitFor('the missed events to be replayed', async () => (await effects('late')) === ids.length);
    expect(handled).toEqual(ids); // in outbox order
  } finally {
    await second.stop();
  }
});

test('a saga step in embedded mode: order.created → inventory.reserved | inventory.insufficient → order confirmed or backordered, once each', async () => {
  const events = await start();
  try {
    await db.exec(`create table public.stock (sku text primary key, available int not null);
                   insert into public.stock values ('TEA', 5)`);
    await events.consume({
      name: 'inventory',
      types: ['order.created'],
      handle: async (event, tx) => {
        const qty = Number(event.payload.qty);
        const { rowCount } = await tx.query('update public.stock set available = available - $1 where sku = $2 and available >= $1', [qty, 'TEA']);
        await writeEvent(tx, { type: rowCount === 1 ? 'inventory.reserved' : 'inventory.insufficient', payload: { orderId: event.payload.orderId } });
      },
    });
    const outcomes = new Map<string, string>();
    await events.consume({
      name: 'orders',
      types: ['inventory.reserved', 'inventory.insufficient'],
      handle: async (event, tx) => {
        const orderId = String(event.payload.orderId);
        outcomes.set(orderId, event.type);
        await writeEvent(tx, { type: event.type === 'inventory.reserved' ? 'order.confirmed' : 'order.backordered', payload: { orderId } });
      },
    });
    for (const [orderId, qty] of [['A', 3], ['B', 3], ['C', 2]] as const) {
      await db.transaction((tx) => writeEvent(tx, { type: 'order.created', payload: { orderId, qty } }));
    }
    await waitFor('every order to be decided', async () => (await count(`select count(*)::int as n from events.outbox where type in ('order.confirmed', 'order.backordered')`)) === 3);
    expect(Object.fromEntries(outcomes)).toEqual({ A: 'inventory.reserved', B: 'inventory.insufficient', C: 'inventory.reserved' });
    expect(await count(`select available as n from public.stock where sku = 'TEA'`)).toBe(0);
  } finally {
    await events.stop();
  }
});
