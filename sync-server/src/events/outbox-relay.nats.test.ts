/**
 * The outbox relay against real Postgres and a private NATS (JetStream) this file can kill and
 * restart. Each test has its own database and its own stream.
 */
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { createPgExecutor } from '@niaga/db/pg';
import { createTestDatabase, startNats, type EngineHandle, type TestDatabase } from '@niaga/testing';
import { createJetStreamBus } from './jetstream-bus.ts';
import type { PublishResult } from './event-bus.ts';
import { startEventRelay, type EventSystem } from './index.ts';
import { envelopeOf, outboxColumns, type OutboxRow } from './outbox.ts';
import { countByID, inWriterOrder, outboxIDs, readStream, uniqueStream, unsentCount, waitFor, writeSteadily } from './events-test-kit.ts';

let nats: EngineHandle;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  nats = await startNats();
});
afterAll(async () => {
  await nats.dispose();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const fastRetry = { initialMs: 50, maxMs: 400 };

async function database(): Promise<TestDatabase> {
  const database = await createTestDatabase();
  cleanups.push(() => database.drop());
  return database;
}

async function relay(
  db: TestDatabase['db'],
  names: { stream: string; subjectPrefix: string },
  options: {
    duplicateWindowMs?: number;
    retry?: { initialMs: number; maxMs: number };
    beforeMark?: () => void;
    onPublished?: (eventID: string, result: PublishResult) => void;
  } = {},
): Promise<EventSystem> {
  const system = await startEventRelay({
    db,
    natsUrl: nats.url,
    jetstream: { ...names, retry: fastRetry, ...(options.duplicateWindowMs ? { duplicateWindowMs: options.duplicateWindowMs } : {}) },
    relay: {
      pollIntervalMs: 200,
      batchSize: 50,
      retry: options.retry ?? fastRetry,
      ...(options.beforeMark ? { beforeMark: options.beforeMark } : {}),
      ...(options.onPublished ? { onPublished: options.onPublished } : {}),
    },
  });
  let stopped = false;
  cleanups.push(async () => {
    if (!stopped) await system.stop();
  });
  const stop = system.stop.bind(system);
  return {
    ...system,
    stop: async () => {
      stopped = true;
      await stop();
    },
  };
}

async function expectExactlyOnce(db: TestDatabase['db'], stream: string, expected: number) {
  const ids = await outboxIDs(db);
  expect(ids).toHaveLength(expected);
  const stored = await readStream(nats.url, stream);
  const counts = countByID(stored);
  expect(stored).toHaveLength(expected);
  expect([...counts.keys()].sort()).toEqual([...ids].sort());
  expect([...counts.values()].every((count) => count === 1)).toBe(true);
  // Each message carries the event it names, on its type's subject.
  for (const event of stored) expect(event.body.id).toBe(event.msgID);
  return stored;
}

test('every outbox event arrives in JetStream exactly once, in each writer’s order, under a steady stream of writes', async () => {
  const { db } = await database();
  const names = uniqueStream();
  await relay(db, names);
  const written = await Promise.all(['a', 'b', 'c', 'd'].map((writer) => writeSteadily(db, writer, 40)));
  await waitFor('the outbox to drain', async () => (await unsentCount(db)) === 0);
  const stored = await expectExactlyOnce(db, names.stream, written.reduce((sum, n) => sum + n, 0));
  expect(inWriterOrder(stored)).toBe(true);
  for (const event of stored) expect(event.subject).toBe(`${names.subjectPrefix}.${event.body.type}`);
  const { rows } = await db.query<{ bad: number }>('select count(*)::int as bad from events.outbox where attempts <> 1 or stream_seq is null or last_error is not null');
  expect(rows[0]!.bad).toBe(0);
});

test('with NATS killed mid-run, events wait in the outbox with their failed attempts recorded, then all arrive exactly once', async () => {
  const { db } = await database();
  const names = uniqueStream();
  const system = await relay(db, names);
  await db.exec('create table public.handled (event_id uuid not null)');
  await system.consume({
    name: 'through-the-outage',
    types: ['order.created', 'inventory.reserved', 'payment.processed'],
    handle: async (event, tx) => void (await tx.query('insert into public.handled values ($1)', [event.id])),
  });
  let total = await writeSteadily(db, 'before', 10);
  await waitFor('the first events to be sent', async () => (await unsentCount(db)) === 0);

  await nats.kill();
  total += await writeSteadily(db, 'during', 10);
  await waitFor('a failed attempt to be recorded', async () => {
    const { rows } = await db.query<{ failed: number }>('select count(*)::int as failed from events.outbox where attempts > 0 and last_error is not null and sent_at is null');
    return rows[0]!.failed > 0;
  });
  expect(await unsentCount(db)).toBe(await db.query<{ n: number }>(`select count(*)::int as n from events.outbox where payload->>'writer' = 'during'`).then((r) => r.rows[0]!.n));

  await nats.restart();
  total += await writeSteadily(db, 'after', 10);
  await waitFor('the outbox to drain after NATS came back', async () => (await unsentCount(db)) === 0);
  const stored = await expectExactlyOnce(db, names.stream, total);
  expect(inWriterOrder(stored)).toBe(true);
  // The durable consumer came back with the connection and handled each event once.
  await waitFor('the consumer to handle every event', async () => {
    const { rows } = await db.query<{ n: number }>('select count(*)::int as n from public.handled');
    return rows[0]!.n >= total;
  });
  const { rows } = await db.query<{ n: number; distinct: number }>('select count(*)::int as n, count(distinct event_id)::int as distinct from public.handled');
  expect(rows[0]).toEqual({ n: total, distinct: total });
});

test('a relay that crashes between publishing and marking is followed by one that republishes nothing, even past the duplicate window', async () => {
  const { db } = await database();
  const names = uniqueStream();
  const total = await writeSteadily(db, 'w', 8);
  let crashes = 0;
  let stopping: Promise<void> | undefined;
  const crashing: { system?: EventSystem } = {};
  crashing.system = await relay(db, names, {
    duplicateWindowMs: 500,
    beforeMark: () => {
      crashes += 1;
      stopping = crashing.system!.stop(); // the process dies here: no retry follows
      throw new Error('simulated crash between publish and mark');
    },
  });
  await waitFor('the crashing relay to have published and failed to mark', () => stopping !== undefined);
  await stopping;
  expect(crashes).toBe(1);
  expect(await unsentCount(db)).toBe(total);
  expect(await readStream(nats.url, names.stream)).toHaveLength(total);

  // Past the window the server would accept a republish as new: only the reconciliation on start prevents it.
  await new Promise((resolve) => setTimeout(resolve, 700));
  await relay(db, names, { duplicateWindowMs: 500 });
  const more = await writeSteadily(db, 'v', 3);
  await waitFor('the outbox to drain', async () => (await unsentCount(db)) === 0);
  await expectExactlyOnce(db, names.stream, total + more);
});

test('two relays at once never publish an event twice, and a direct republish of the same events is deduplicated', async () => {
  const { db, url } = await database();
  const second = createPgExecutor(url);
  cleanups.push(() => second.close());
  const names = uniqueStream();
  const publishes: { relay: string; id: string; duplicate: boolean }[] = [];
  for (const [name, executor] of [['one', db], ['two', second]] as const) {
    await relay(executor, names, { onPublished: (id, result) => publishes.push({ relay: name, id, duplicate: result.duplicate }) });
  }
  const written = await Promise.all(['a', 'b', 'c'].map((writer, index) => writeSteadily(index % 2 === 0 ? db : second, writer, 30)));
  const total = written.reduce((sum, n) => sum + n, 0);
  await waitFor('the outbox to drain', async () => (await unsentCount(db)) === 0);
  const stored = await expectExactlyOnce(db, names.stream, total);
  expect(inWriterOrder(stored)).toBe(true);
  // The drain lock: between them the relays sent each event once, and never one the stream already had.
  expect(publishes).toHaveLength(total);
  expect(publishes.filter((publish) => publish.duplicate)).toEqual([]);
  expect(new Set(publishes.map((publish) => publish.id)).size).toBe(total);

  // Even a relay that tried again (no lock, no reconciliation) is caught by the message id.
  const bus = createJetStreamBus({ url: nats.url, ...names });
  cleanups.push(() => bus.close());
  await waitFor('a second bus to connect', () => bus.isReady());
  const { rows } = await db.query<OutboxRow>(`select ${outboxColumns} from events.outbox order by seq limit 20`);
  const results = await Promise.all(rows.map((row) => bus.publish(envelopeOf(row))));
  expect(results.every((result) => result.duplicate)).toBe(true);
  await expectExactlyOnce(db, names.stream, total);
});
