/**
 * Move-in / move-out under awkward transactions, with the official client in long-poll and SSE,
 * replica default and full, through a rule filter (an agent's territory) and through a client's
 * where: a row updated many times in one transaction, moved out and back in within one, deleted
 * and inserted again with the same id, its primary key changed, two writers at once. After every
 * burst each client's rows equal a fresh snapshot of the shape.
 */
import { randomUUID } from 'node:crypto';
import type { Row } from '@electric-sql/client';
import pg from 'pg';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startPgShapeBackend, type PgShapeBackend } from '../test-support/pg-shape-backend.ts';
import { byKey, closeBackend, noAnomalies, openShape, seededRandom, serverRows, waitFor, type LiveShape } from '../test-support/shape-test-kit.ts';

let backend: PgShapeBackend;
const writers: pg.Client[] = [];
const inside = 'aaaaaaaa-0000-4000-8000-00000000000a';
const outside = 'bbbbbbbb-0000-4000-8000-00000000000b';

beforeAll(async () => {
  backend = await startPgShapeBackend();
  for (let i = 0; i < 2; i++) {
    const writer = new pg.Client({ connectionString: backend.database.url });
    await writer.connect();
    writers.push(writer);
  }
}, 60_000);
afterAll(async () => {
  await Promise.all(writers.map((writer) => writer.end()));
  await closeBackend(backend);
});


const json = (rows: unknown) => JSON.stringify(rows, (_, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));

type Op = (client: pg.Client) => Promise<void>;

/** One transaction of one kind, on the rows `ids` (kept up to date as ids change). */
function transaction(next: () => number, ids: string[]): Op[] {
  const pick = () => ids[Math.floor(next() * ids.length)];
  const territory = () => (next() < 0.5 ? inside : outside);
  const credit = () => Math.floor(next() * 1_000_000);
  const kind = Math.floor(next() * 7);
  const id = pick();
  if (id === undefined || kind === 0) {
    const fresh = randomUUID();
    ids.push(fresh);
    return [(c) => c.query(`insert into customers.customers (id, name, territory_id, credit_limit_minor) values ($1, 'New', $2, $3)`, [fresh, territory(), credit()]).then(() => {})];
  }
  switch (kind) {
    case 1: // many updates of one row, its territory flipping between them
      return Array.from({ length: 2 + Math.floor(next() * 4) }, () => {
        const [t, amount] = [territory(), credit()];
        return (c: pg.Client) => c.query('update customers.customers set territory_id = $2, credit_limit_minor = $3 where id = $1', [id, t, amount]).then(() => {});
      });
    case 2: // out and back in (or in and back out) within the transaction
      return [
        (c) => c.query(`update customers.customers set territory_id = case when territory_id = $2 then $3::uuid else $2::uuid end where id = $1`, [id, inside, outside]).then(() => {}),
        (c) => c.query(`update customers.customers set name = name || '!' where id = $1`, [id]).then(() => {}),
        (c) => c.query(`update customers.customers set territory_id = case when territory_id = $2 then $3::uuid else $2::uuid end where id = $1`, [id, inside, outside]).then(() => {}),
      ];
    case 3: {
      // deleted and inserted again with the same id, maybe elsewhere
      const [t, amount] = [territory(), credit()];
      return [
        (c) => c.query('delete from customers.customers where id = $1', [id]).then(() => {}),
        (c) => c.query(`insert into customers.customers (id, name, territory_id, credit_limit_minor) values ($1, 'Again', $2, $3)`, [id, t, amount]).then(() => {}),
      ];
    }
    case 4: {
      // a new primary key, maybe with a move, then an update under the new key
      const fresh = randomUUID();
      ids[ids.indexOf(id)] = fresh;
      const t = territory();
      return [
        (c) => c.query('update customers.customers set id = $2, territory_id = $3 where id = $1', [id, fresh, t]).then(() => {}),
        (c) => c.query(`update customers.customers set phone = $2 where id = $1`, [fresh, String(credit())]).then(() => {}),
      ];
    }
    case 5: // inserted and deleted within the transaction: nothing to see
      return [
        (c) => c.query(`insert into customers.customers (id, name, territory_id) values ($1, 'Brief', $2)`, [randomUUID(), inside]).then(() => {}),
        (c) => c.query(`delete from customers.customers where name = 'Brief'`).then(() => {}),
      ];
    default: // deleted for good
      ids.splice(ids.indexOf(id), 1);
      return [(c) => c.query('delete from customers.customers where id = $1', [id]).then(() => {})];
  }
}

async function run(client: pg.Client, ops: readonly Op[]): Promise<void> {
  await client.query('begin');
  try {
    for (const op of ops) await op(client);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
}

test('after every burst of moves, primary-key changes and delete-and-reinserts, each client holds exactly a fresh snapshot of its shape', async () => {
  const next = seededRandom(20_260_301);
  const ids: string[] = [];
  const agent = await backend.server.token('agent', { territory_id: inside });
  const admin = await backend.server.token('admin');
  const byWhere = { table: 'customers.customers', where: 'territory_id = $1', params: [inside] };
  const clients: LiveShape<Row<unknown>>[] = [
    openShape(backend, { token: agent, params: { table: 'customers.customers' }, mode: 'long-poll' }),
    openShape(backend, { token: agent, params: { table: 'customers.customers', replica: 'full' }, mode: 'sse' }),
    openShape(backend, { token: admin, params: byWhere, mode: 'sse' }),
    openShape(backend, { token: admin, params: { ...byWhere, replica: 'full' }, mode: 'long-poll' }),
  ];
  try {
    await Promise.all(clients.map((client) => client.shape.rows));
    for (let burst = 0; burst < 12; burst++) {
      // Two writers at once, each a few transactions; the rows they pick may overlap (a lost race rolls back).
      await Promise.all(
        writers.map(async (writer) => {
          for (let i = 0; i < 4; i++) {
            await run(writer, transaction(next, ids)).catch(() => {});
          }
        }),
      );
      const expected = byKey(await serverRows(backend.database.db, 'customers.customers', 'territory_id = $1', [inside]));
      for (const [index, client] of clients.entries()) {
        await waitFor(
          () => json(byKey([...client.shape.currentRows])) === json(expected),
          () => `client ${index} to equal a fresh snapshot after burst ${burst}`,
        ).catch(() => {
          expect(byKey([...client.shape.currentRows])).toEqual(expected);
        });
      }
    }
    for (const client of clients) {
      expect(client.log.anomalies()).toEqual(noAnomalies);
      expect(client.errors).toEqual([]);
    }
  } finally {
    for (const client of clients) client.close();
  }
}, 60_000);
