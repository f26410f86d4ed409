/**
 * A durable JetStream consumer through a database outage: a private Postgres this file kills and
 * restarts, and the shared test NATS. Failures because the database is away are not the event's
 * fault: the event waits for the database however many deliveries that takes, and is handled once.
 */
import { createPgExecutor, type PgExecutor } from '@niaga/db/pg';
import { migrate } from '@niaga/migrations';
import { startPostgres, type EngineHandle } from '@niaga/testing';
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import type { EventLogger } from './event-bus.ts';
import { uniqueStream, waitFor } from './events-test-kit.ts';
import { startEventRelay, writeEvent, type EventSystem } from './index.ts';

let engine: EngineHandle;
let db: PgExecutor;
let events: EventSystem;
const logged: { level: string; message: string; details: Record<string, unknown> }[] = [];
const logger: EventLogger = {
  info: (details, message) => void logged.push({ level: 'info', message, details: details as Record<string, unknown> }),
  warn: (details, message) => void logged.push({ level: 'warn', message, details: details as Record<string, unknown> }),
  error: (details, message) => void logged.push({ level: 'error', message, details: details as Record<string, unknown> }),
};

beforeAll(async () => {
  engine = await startPostgres();
  db = createPgExecutor(engine.url, { connectionTimeoutMillis: 2000 });
  await migrate(db);
  await db.exec('create table public.handled (event_id uuid not null)');
  const fast = { initialMs: 50, maxMs: 200 };
  events = await startEventRelay({
    db,
    natsUrl: inject('natsUrl'),
    logger,
    jetstream: { ...uniqueStream(), retry: fast },
    relay: { pollIntervalMs: 100, retry: fast },
    consumerRetry: fast,
  });
}, 90_000);
afterAll(async () => {
  await events?.stop();
  await db?.close();
  await engine?.dispose();
});

test('an event that fails while the database is down, more times than maxAttempts, is handled once the database is back (not dropped)', async () => {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let calls = 0;
  await events.consume({
    name: 'through-a-db-outage',
    types: ['order.created'],
    maxAttempts: 3,
    maxBatch: 1,
    handle: async (event, tx) => {
      calls += 1;
      if (calls === 1) await held; // the database goes away while the first attempt runs
      await tx.query('insert into public.handled (event_id) values ($1)', [event.id]);
    },
  });
  const id = await db.transaction((tx) => writeEvent(tx, { type: 'order.created', payload: { orderID: 'o-1' } }));
  await waitFor('the first attempt to start', () => calls === 1);
  // The test engine runs with synchronous_commit=off: write what committed out before the crash,
  // as a production server's synchronous commit would have.
  await db.query('checkpoint');
  await engine.kill();
  release();
  const failures = () => logged.filter((entry) => entry.details.eventID === id && entry.level !== 'info').map((entry) => Number(entry.details.attempt));
  // Twice as many failed deliveries as maxAttempts allows for an event that is itself at fault.
  await waitFor('deliveries to keep failing while the database is down', () => failures().some((attempt) => attempt >= 6), 10_000).catch((error: unknown) => {
    throw new Error(`${String(error)}; logged: ${JSON.stringify(logged.filter((entry) => entry.details.eventID === id).map(({ level, message, details }) => ({ level, message, attempt: details.attempt })))}`);
  });
  await engine.restart();

  await waitFor('the event to be handled after the outage', async () => {
    const { rows } = await db.query<{ n: number }>('select count(*)::int as n from public.handled where event_id = $1', [id]).catch(() => ({ rows: [{ n: 0 }] }));
    return rows[0]!.n > 0;
  }, 15_000).catch((error: unknown) => {
    throw new Error(`${String(error)}; logged: ${JSON.stringify(logged.slice(-15).map(({ level, message, details }) => ({ level, message, attempt: details.attempt, err: String((details.err as Error | undefined)?.message) })))}`);
  });
  const { rows } = await db.query<{ handled: number; inbox: number }>(
    `select (select count(*) from public.handled where event_id = $1)::int as handled,
            (select count(*) from events.inbox where consumer = 'through-a-db-outage' and event_id = $1)::int as inbox`,
    [id],
  );
  expect(rows[0]).toEqual({ handled: 1, inbox: 1 });
  expect(logged.filter((entry) => entry.details.eventID === id && entry.level === 'error')).toEqual([]);
}, 60_000);
