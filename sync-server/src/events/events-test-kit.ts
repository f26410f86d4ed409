/** Test support for the event system's tests: stream reading, waiting, writing events. */
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Executor, Queryable } from '@niaga/db';
import type { EventType } from '@niaga/protocol';
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
