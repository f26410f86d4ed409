import { afterAll, beforeAll, expect, test } from 'vitest';
import { createPgliteExecutor, type PgliteExecutor } from '@niaga/db/pglite';
import { migrate } from '@niaga/migrations';
import { pruneOnce } from './housekeeping.ts';

let db: PgliteExecutor;

beforeAll(async () => {
  db = await createPgliteExecutor();
  await migrate(db);
}, 60_000);
afterAll(async () => {
  await db.close();
});

test('housekeeping removes events published over a week ago, inbox rows past the redelivery windows and results over a month old, and nothing still needed', async () => {
  await db.exec(`
    insert into events.outbox (type, payload, sent_at, created_at) values
      ('order.created', '{"n":"old, sent"}', now() - interval '10 days', now() - interval '10 days'),
      ('order.created', '{"n":"recent, sent"}', now() - interval '1 day', now() - interval '1 day'),
      ('order.created', '{"n":"old, never sent"}', null, now() - interval '20 days');
    insert into sync.mutation_results (client_id, mutation_id, user_id, name, status, created_at) values
      ('c', 1, gen_random_uuid(), 'order.place', 'rejected', now() - interval '40 days'),
      ('c', 2, gen_random_uuid(), 'order.place', 'rejected', now() - interval '1 day');
    insert into events.inbox (consumer, event_id, processed_at) values
      ('inventory', '00000000-0000-4000-8000-000000000001', now() - interval '9 days'),
      ('inventory', '00000000-0000-4000-8000-000000000002', now() - interval '6 days');`);
  expect(await pruneOnce(db, { changeLogRetentionMs: 3600_000 })).toEqual({ changeLogEntries: 0, sentEvents: 1, handledEvents: 1, mutationResults: 1 });
  const { rows: events } = await db.query<{ n: string }>(`select payload->>'n' as n from events.outbox order by n`);
  expect(events.map((row) => row.n)).toEqual(['old, never sent', 'recent, sent']);
  const { rows: results } = await db.query<{ mutation_id: number }>('select mutation_id::int from sync.mutation_results');
  expect(results).toEqual([{ mutation_id: 2 }]);
  const { rows: inbox } = await db.query<{ event_id: string }>('select event_id from events.inbox');
  expect(inbox).toEqual([{ event_id: '00000000-0000-4000-8000-000000000002' }]);
});
