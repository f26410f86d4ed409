/** Test support for the event system's tests: stream reading, waiting, writing events. */
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Executor, Queryable } from '@niaga/db';
import type { EventType } from '@niaga/protocol';
import { expect } from 'vitest';
import type { EventSystem } from './index.ts';
import { writeEvent } from './outbox.ts';

export async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A stream name and subject prefix of a test's own, so tests share one NATS without overlapping. */
export function uniqueStream(): { stream: string; subjectPrefix: string } {
  const suffix = randomBytes(4).toString('hex');
  return { stream: `TEST_${suffix.toUpperCase()}`, subjectPrefix: `t${suffix}` };
}

export interface StoredEvent {
  readonly seq: number;
  readonly subject: string;
  readonly msgID: string;
  readonly body: { id: string; type: string; payload: Record<string, unknown> };
}

/** Every message in the stream, in stream order. */
export async function readStream(natsUrl: string, stream: string): Promise<StoredEvent[]> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    const { state } = await jsm.streams.info(stream);
    const events: StoredEvent[] = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const message = await jsm.streams.getMessage(stream, { seq });
      if (!message) continue;
      events.push({ seq, subject: message.subject, msgID: message.header.get('Nats-Msg-Id'), body: message.json() });
    }
    return events;
  } finally {
    await nc.close();
  }
}

export async function consumerState(natsUrl: string, stream: string, name: string) {
  const nc = await connect({ servers: natsUrl });
  try {
    const info = await (await jetstreamManager(nc)).consumers.info(stream, name);
    return { ackPending: info.num_ack_pending, pending: info.num_pending, redelivered: info.num_redelivered };
  } finally {
    await nc.close();
  }
}

/** How many times each message id occurs. */
export function countByID(events: readonly StoredEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) counts.set(event.msgID, (counts.get(event.msgID) ?? 0) + 1);
  return counts;
}

export async function unsentCount(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ count: number }>('select count(*)::int as count from events.outbox where sent_at is null');
  return rows[0]!.count;
}

export async function outboxIDs(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('select id from events.outbox order by seq');
  return rows.map((row) => row.id);
}

const writerTypes: readonly EventType[] = ['order.created', 'inventory.reserved', 'payment.processed'];

/**
 * `transactions` transactions one after another, each writing 1–3 events next to a change, with
 * a payload {writer, n} numbering the writer's events in the order it wrote them.
 */
export async function writeSteadily(db: Executor, writer: string, transactions: number): Promise<number> {
  let n = 0;
  for (let i = 0; i < transactions; i++) {
    await db.transaction(async (tx) => {
      for (let k = 0; k <= i % 3; k++) {
        await writeEvent(tx, { type: writerTypes[(i + k) % writerTypes.length]!, payload: { writer, n: n++ } });
      }
    });
    if (i % 5 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return n;
}

/** Each writer's events appear in the stream in the order it wrote them (causal order). */
export function inWriterOrder(events: readonly StoredEvent[]): boolean {
  const last = new Map<string, number>();
  for (const { body } of events) {
    const writer = String(body.payload.writer);
    const n = Number(body.payload.n);
    if ((last.get(writer) ?? -1) >= n) return false;
    last.set(writer, n);
  }
  return true;
}

/**
 * A consumer under load handles the events that queued up meanwhile in one transaction, in
 * order; a batch with a failing event rolls back whole and its events are handled one by one, the
 * failing one retried without holding back those after it. Shared by the in-process and JetStream
 * tests (`consume` is the event system's, with a fast retry). Each event's effect row records the
 * transaction that committed it.
 */
export async function checkBatching(db: Executor, consume: EventSystem['consume'], name: string): Promise<void> {
  const table = `public.batch_effects_${name.replace(/\W/g, '_')}`;
  await db.exec(`create table ${table} (id bigint generated always as identity primary key, event_id uuid not null, n int not null, txid bigint not null)`);
  let failuresLeft = 2; // event 25 fails in its batch and once alone, then succeeds
  const heldOnce = new Set([0, 20]);
  const answered: { n: number; attempt: number }[] = [];
  await consume({
    name,
    types: ['transfer.shipped'],
    maxBatch: 10,
    ackWaitMs: 1500,
    // Called as each event is acked: an event acked at its second attempt or later was handed again.
    loseAck: (event, attempt) => {
      answered.push({ n: Number(event.payload.n), attempt });
      return false;
    },
    handle: async (event, tx) => {
      const n = Number(event.payload.n);
      // The first event of each wave takes a while (a timer: embedded PGlite has one connection,
      // so nothing else may wait on the database meanwhile); the rest of the wave queues behind it.
      if (heldOnce.delete(n)) await new Promise((resolve) => setTimeout(resolve, 500));
      if (n === 25 && failuresLeft-- > 0) throw new Error('event 25 fails for a while');
      await tx.query(`insert into ${table} (event_id, n, txid) values ($1, $2, txid_current())`, [event.id, n]);
    },
  });
  const wave = (from: number, to: number) =>
    db.transaction(async (tx) => {
      for (let n = from; n < to; n++) await writeEvent(tx, { type: 'transfer.shipped', payload: { n } });
    });
  const effects = async () => (await db.query<{ id: number; n: number; txid: string }>(`select id, n, txid::text from ${table} order by id`)).rows;

  await wave(0, 20);
  await waitFor('the first wave to be handled', async () => (await effects()).length === 20);
  const first = await effects();
  expect(first.map((row) => row.n)).toEqual([...Array(20).keys()]); // once each, in order
  const transactions = new Set(first.slice(1).map((row) => row.txid));
  expect(transactions.size, 'events 1–19 queued behind event 0 share transactions (10 at most each)').toBeLessThanOrEqual(3);

  await wave(20, 30);
  await waitFor('the second wave to be handled', async () => (await effects()).length === 30);
  // The failed batch left nothing behind, the events after 25 did not wait for its retry, and 25
  // committed once, last.
  expect((await effects()).slice(20).map((row) => row.n)).toEqual([20, 21, 22, 23, 24, 26, 27, 28, 29, 25]);
  expect(failuresLeft).toBe(-1);
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from events.inbox i join ${table} e on e.event_id = i.event_id where i.consumer = $1`,
    [name],
  );
  expect(rows[0]!.n).toBe(30);
  // Every event was acked, once, at its first delivery, past the ack wait (25 after its retry).
  await new Promise((resolve) => setTimeout(resolve, 1600));
  expect(answered.filter((entry) => entry.n !== 25)).toEqual([...Array(30).keys()].filter((n) => n !== 25).map((n) => ({ n, attempt: 1 })));
  expect(answered.filter((entry) => entry.n === 25)).toEqual([{ n: 25, attempt: 2 }]); // its batch and its first try alone were one delivery
}
