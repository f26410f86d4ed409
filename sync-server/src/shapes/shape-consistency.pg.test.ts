/**
 * Read-path consistency with the official clients against real Postgres (ARCHITECTURE.md §4,
 * properties 1–3), in long-poll and SSE live modes:
 *  1. no committed change is lost when transactions commit in another order than they began;
 *  2. a server transaction reaches a multi-shape pglite-sync client whole;
 *  3. a snapshot taken while writers run and its live tail neither overlap nor leave a gap.
 */
import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { electricSync } from '@electric-sql/pglite-sync';
import type { Row } from '@electric-sql/client';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPgShapeBackend, type PgShapeBackend } from '../test-support/pg-shape-backend.ts';
import { byKey, closeBackend, liveModes, noAnomalies, openShape, seededRandom, serverRows, sleep, waitFor, type LiveMode, type LiveShape } from '../test-support/shape-test-kit.ts';

let backend: PgShapeBackend;
const writers: pg.Client[] = [];
/** One PGlite for both live modes (creating one costs seconds). */
const openLocal = () => PGlite.create({ extensions: { electric: electricSync() } });
let localPromise: ReturnType<typeof openLocal> | undefined;

beforeAll(async () => {
  backend = await startPgShapeBackend();
  for (let i = 0; i < 3; i++) {
    const client = new pg.Client({ connectionString: backend.database.url });
    await client.connect();
    writers.push(client);
  }
}, 60_000);
afterAll(async () => {
  await (await localPromise)?.close();
  await Promise.all(writers.map((client) => client.end()));
  await closeBackend(backend);
});


// ---------------------------------------------------------------------------------------------
// Customers of a territory (agent rule: territory_id = the token's territory)
// ---------------------------------------------------------------------------------------------

interface CustomerFields {
  readonly inScope?: boolean;
  readonly name?: string;
  readonly credit?: bigint;
  readonly active?: boolean;
}
type CustomerOp =
  | ({ readonly kind: 'insert'; readonly key: number } & Required<CustomerFields>)
  | ({ readonly kind: 'update'; readonly key: number } & CustomerFields)
  | { readonly kind: 'delete'; readonly key: number };

/** Runs one op; `ids` maps key numbers to this run's uuids, `scope` = [in, out] territories. */
async function applyCustomerOp(client: pg.Client, op: CustomerOp, ids: readonly string[], scope: readonly [string, string]): Promise<void> {
  const territory = (inScope: boolean | undefined) => (inScope === undefined ? null : inScope ? scope[0] : scope[1]);
  switch (op.kind) {
    case 'insert':
      await client.query(
        `insert into customers.customers (id, name, territory_id, credit_limit_minor, active, notes)
         values ($1, $2, $3, $4, $5, $6) on conflict (id) do nothing`,
        [ids[op.key], op.name, territory(op.inScope), op.credit.toString(), op.active, `n/${op.name}`],
      );
      return;
    case 'update':
      await client.query(
        `update customers.customers set name = coalesce($2, name), territory_id = coalesce($3, territory_id),
                credit_limit_minor = coalesce($4, credit_limit_minor), active = coalesce($5, active)
          where id = $1`,
        [ids[op.key], op.name ?? null, territory(op.inScope), op.credit?.toString() ?? null, op.active ?? null],
      );
      return;
    case 'delete':
      await client.query('delete from customers.customers where id = $1', [ids[op.key]]);
      return;
  }
}

const nameArb = fc.string({ unit: fc.constantFrom('a', 'Z', '/', '"', '\\', "'", ',', ' ', 'é', '😀', '{', '}'), minLength: 1, maxLength: 8 });
const keyArb = fc.nat(9);
const creditArb = fc.bigInt(0n, 2n ** 62n);
const customerOpArb: fc.Arbitrary<CustomerOp> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), key: keyArb, inScope: fc.boolean(), name: nameArb, credit: creditArb, active: fc.boolean() }),
  fc
    .record(
      { kind: fc.constant('update' as const), key: keyArb, inScope: fc.boolean(), name: nameArb, credit: creditArb, active: fc.boolean() },
      { requiredKeys: ['kind', 'key'] },
    )
    .map((op): CustomerOp => op),
  fc.record({ kind: fc.constant('delete' as const), key: keyArb }),
);
const transactionArb = fc.record({ ops: fc.array(customerOpArb, { minLength: 1, maxLength: 4 }), commit: fc.nat(9).map((n) => n < 8) });

interface Workload {
  /** Committed one by one before the shape is opened (its snapshot). */
  readonly before: { ops: CustomerOp[]; commit: boolean }[];
  /** Per writer connection, its transactions in order. */
  readonly perClient: { ops: CustomerOp[]; commit: boolean }[][];
  /** Which connection takes its next step (begin, op, commit/rollback), in turn. */
  readonly interleaving: number[];
  readonly withWhere: boolean;
}

const workloadArb: fc.Arbitrary<Workload> = fc.record({
  before: fc.array(transactionArb, { maxLength: 6 }),
  perClient: fc.tuple(...[0, 1, 2].map(() => fc.array(transactionArb, { minLength: 4, maxLength: 10 }))),
  interleaving: fc.array(fc.nat(2), { minLength: 20, maxLength: 120 }),
  withWhere: fc.boolean(),
});

/**
 * Runs the transactions with the given interleaving of steps. A step that would touch a row another
 * open transaction has touched is skipped (it would block this single-threaded driver); everything
 * else runs, so begins and commits of different connections interleave in any order.
 */
async function runInterleaved(workload: Workload, ids: readonly string[], scope: readonly [string, string]): Promise<void> {
  type Step = { client: number; kind: 'begin' } | { client: number; kind: 'op'; op: CustomerOp } | { client: number; kind: 'end'; commit: boolean };
  const queues: Step[][] = workload.perClient.map((transactions, client) =>
    transactions.flatMap((transaction): Step[] => [
      { client, kind: 'begin' },
      ...transaction.ops.map((op): Step => ({ client, kind: 'op', op })),
      { client, kind: 'end', commit: transaction.commit },
    ]),
  );
  const locks = new Map<number, number>();
  const step = async (step: Step) => {
    const client = writers[step.client]!;
    if (step.kind === 'begin') return void (await client.query('begin'));
    if (step.kind === 'end') {
      for (const [key, holder] of locks) if (holder === step.client) locks.delete(key);
      return void (await client.query(step.commit ? 'commit' : 'rollback'));
    }
    const holder = locks.get(step.op.key);
    if (holder !== undefined && holder !== step.client) return;
    locks.set(step.op.key, step.client);
    await applyCustomerOp(client, step.op, ids, scope);
  };
  for (const client of workload.interleaving) {
    const next = queues[client]!.shift();
    if (next) await step(next);
  }
  // Drain what is left, round robin.
  while (queues.some((queue) => queue.length > 0)) {
    for (const queue of queues) {
      const next = queue.shift();
      if (next) await step(next);
    }
  }
}

async function insertMarker(territory: string): Promise<string> {
  const id = randomUUID();
  await backend.database.db.query(`insert into customers.customers (id, name, territory_id, active) values ($1, 'marker', $2, true)`, [id, territory]);
  await backend.logCaughtUp();
  return id;
}

/** Waits until the shape holds `markerId` (committed after everything else), then returns its rows. */
async function rowsAfterMarker(live: LiveShape<Row<unknown>>, markerId: string): Promise<Row<unknown>[]> {
  await waitFor(
    () => live.errors.length > 0 || live.shape.currentRows.some((row) => row.id === markerId),
    () => `the marker row (${live.responses.length} responses, errors: ${live.errors.map(String).join('; ')})`,
  );
  expect(live.errors).toEqual([]);
  return byKey(live.shape.currentRows);
}

describe.each(liveModes)('%s', (mode: LiveMode) => {
  test('1. no committed change is lost when transactions commit in another order than they began', async () => {
    await fc.assert(
      fc.asyncProperty(workloadArb, async (workload) => {
        const scope = [randomUUID(), randomUUID()] as const;
        const ids = Array.from({ length: 10 }, () => randomUUID());
        for (const transaction of workload.before) {
          await writers[0]!.query('begin');
          for (const op of transaction.ops) await applyCustomerOp(writers[0]!, op, ids, scope);
          await writers[0]!.query(transaction.commit ? 'commit' : 'rollback');
        }
        const token = await backend.server.token('agent', { territory_id: scope[0] });
        const live = openShape(backend, {
          token,
          mode,
          params: { table: 'customers.customers', ...(workload.withWhere ? { where: 'active = $1', params: ['true'] } : {}) },
        });
        try {
          await live.shape.rows;
          await runInterleaved(workload, ids, scope);
          const marker = await insertMarker(scope[0]);
          const clientRows = await rowsAfterMarker(live, marker);
          const expected = await serverRows(backend.database.db, 'customers.customers', `territory_id = $1${workload.withWhere ? ' and active' : ''}`, [scope[0]]);
          expect(clientRows).toEqual(expected);
          if (mode === 'sse') expect(live.responses.some((response) => response.sse && response.status === 200)).toBe(true);
        } finally {
          live.close();
          await Promise.all(writers.map((client) => client.query('rollback').catch(() => {})));
        }
      }),
      { numRuns: 6 },
    );
  }, 60_000);

  test('2. syncShapesToTables never shows an order with an incomplete set of lines while writers run concurrently', async () => {
    const agent = randomUUID();
    const otherAgent = randomUUID();
    const customer = randomUUID();
    const orderIds: string[] = [];
    const next = seededRandom(mode === 'sse' ? 2 : 1);
    const pick = <T,>(items: readonly T[]): T | undefined => items[Math.floor(next() * items.length)];

    const newOrder = async (client: pg.Client, forAgent: string, lines: number) => {
      await client.query('begin');
      const { rows } = await client.query<{ id: string }>(
        `insert into orders.orders (customer_id, agent_id, currency, total_minor) values ($1, $2, 'USD', $3) returning id`,
        [customer, forAgent, lines * 100],
      );
      for (let line = 0; line < lines; line++) {
        if (next() < 0.5) await sleep(Math.floor(next() * 3));
        await client.query(
          `insert into orders.order_items (order_id, customer_id, agent_id, product_id, sku, name, qty, unit_price_minor, line_total_minor)
           values ($1, $2, $3, gen_random_uuid(), $4, 'Item', 1, 100, 100)`,
          [rows[0]!.id, customer, forAgent, `SKU-${line}`],
        );
      }
      await client.query('commit');
      orderIds.push(rows[0]!.id);
      return rows[0]!.id;
    };
    const addLine = async (client: pg.Client, order: string) => {
      await client.query('begin');
      const { rows } = await client.query<{ agent_id: string }>('update orders.orders set total_minor = total_minor + 100 where id = $1 returning agent_id', [order]);
      if (rows[0]) {
        await sleep(Math.floor(next() * 3));
        await client.query(
          `insert into orders.order_items (order_id, customer_id, agent_id, product_id, sku, name, qty, unit_price_minor, line_total_minor)
           values ($1, $2, $3, gen_random_uuid(), 'ADDED', 'Item', 1, 100, 100)`,
          [order, customer, rows[0].agent_id],
        );
      }
      await client.query('commit');
    };
    const moveOrder = async (client: pg.Client, order: string) => {
      // Moves the order and its lines to the other agent: one shape loses both, the other gains both.
      await client.query('begin');
      const { rows } = await client.query<{ agent_id: string }>(
        'update orders.orders set agent_id = case when agent_id = $2 then $3::uuid else $2::uuid end where id = $1 returning agent_id',
        [order, agent, otherAgent],
      );
      if (rows[0]) {
        await sleep(Math.floor(next() * 3));
        await client.query('update orders.order_items set agent_id = $2 where order_id = $1', [order, rows[0].agent_id]);
      }
      await client.query('commit');
    };
    const deleteOrder = async (client: pg.Client, order: string) => {
      await client.query('delete from orders.orders where id = $1', [order]); // its lines go by cascade, in the same transaction
    };

    // Each mode syncs into its own tables of the shared PGlite.
    localPromise ??= openLocal();
    const local = await localPromise;
    const orders = `orders_${mode.replace('-', '_')}`;
    const items = `order_items_${mode.replace('-', '_')}`;
    await local.exec(`
      create table ${orders} (id uuid primary key, agent_id uuid, total_minor bigint, status text);
      create table ${items} (id uuid primary key, order_id uuid, agent_id uuid, sku text, line_total_minor bigint);`);
    const token = await backend.server.token('agent', { agent_id: agent });
    let sseRequests = 0;
    const fetchClient: typeof fetch = async (input, init) => {
      if (new URL(input instanceof Request ? input.url : input.toString()).searchParams.get('live_sse') === 'true') sseRequests++;
      return fetch(input, init);
    };
    const shape = (table: string, into: string, columns: string[]) => ({
      shape: {
        url: backend.server.shapeUrl,
        params: { table, columns, client: randomUUID() },
        headers: { Authorization: `Bearer ${token}` },
        liveSse: mode === 'sse',
        fetchClient,
      },
      table: into,
      primaryKey: ['id'],
    });
    // Some orders before the subscription, so the initial snapshot of both shapes is not empty.
    await newOrder(writers[0]!, agent, 2);
    await newOrder(writers[0]!, otherAgent, 1);
    const sync = await local.electric.syncShapesToTables({
      key: null,
      shapes: {
        orders: shape('orders.orders', orders, ['id', 'agent_id', 'total_minor', 'status']),
        items: shape('orders.order_items', items, ['id', 'order_id', 'agent_id', 'sku', 'line_total_minor']),
      },
    });
    const torn: string[] = [];
    let checks = 0;
    let seenOrders = 0;
    const check = async () => {
      checks++;
      const { rows } = await local.query<{ id: string; total: number; lines: number }>(
        `select o.id, (o.total_minor / 100)::int as total, (select count(*) from ${items} i where i.order_id = o.id)::int as lines from ${orders} o`,
      );
      for (const row of rows) if (row.total !== row.lines) torn.push(`order ${row.id}: ${row.lines} of ${row.total} lines`);
      const { rows: orphans } = await local.query<{ id: string }>(`select i.id from ${items} i where not exists (select 1 from ${orders} o where o.id = i.order_id)`);
      for (const row of orphans) torn.push(`line ${row.id} without its order`);
      const { rows: strangers } = await local.query<{ id: string }>(`select id from ${orders} where agent_id <> $1 union all select id from ${items} where agent_id <> $1`, [agent]);
      for (const row of strangers) torn.push(`row ${row.id} of another agent`);
      seenOrders = Math.max(seenOrders, rows.length);
    };
    let writing = true;
    const reader = (async () => {
      while (writing) {
        await check();
        await sleep(2);
      }
    })();
    try {
      await waitFor(async () => (await local.query(`select 1 from ${orders}`)).rows.length > 0, 'the initial sync');
      await Promise.all(
        writers.map(async (client) => {
          for (let i = 0; i < 18; i++) {
            const roll = next();
            const order = pick(orderIds);
            try {
              if (roll < 0.45 || !order) await newOrder(client, next() < 0.7 ? agent : otherAgent, 1 + Math.floor(next() * 4));
              else if (roll < 0.7) await addLine(client, order);
              else if (roll < 0.9) await moveOrder(client, order);
              else await deleteOrder(client, order);
            } catch (error) {
              await client.query('rollback').catch(() => {});
              if ((error as { code?: string }).code !== '40P01') throw error; // a deadlock between writers is the database's business
            }
          }
        }),
      );
      const marker = await newOrder(writers[0]!, agent, 3);
      await backend.logCaughtUp();
      await waitFor(async () => (await local.query(`select 1 from ${orders} where id = $1`, [marker])).rows.length === 1, 'the marker order');
      writing = false;
      await reader;
      await check();
      expect(torn).toEqual([]);
      expect(checks).toBeGreaterThan(10);
      expect(seenOrders).toBeGreaterThan(1);
      const serverOrders = await backend.database.db.query(
        'select id::text, agent_id::text, total_minor::text, status from orders.orders where agent_id = $1 order by id',
        [agent],
      );
      const serverItems = await backend.database.db.query(
        'select id::text, order_id::text, agent_id::text, sku, line_total_minor::text from orders.order_items where agent_id = $1 order by id',
        [agent],
      );
      const localOrders = await local.query(`select id::text, agent_id::text, total_minor::text, status from ${orders} order by id`);
      const localItems = await local.query(`select id::text, order_id::text, agent_id::text, sku, line_total_minor::text from ${items} order by id`);
      expect(localOrders.rows).toEqual(serverOrders.rows);
      expect(localItems.rows).toEqual(serverItems.rows);
      if (mode === 'sse') expect(sseRequests).toBeGreaterThan(0);
    } finally {
      writing = false;
      await reader;
      sync.unsubscribe();
      await Promise.all(writers.map((client) => client.query('rollback').catch(() => {})));
    }
  }, 60_000);

  test('3. a snapshot taken while writers run and its live tail neither overlap nor leave a gap', async () => {
    const scope = [randomUUID(), randomUUID()] as const;
    const ids = Array.from({ length: 24 }, () => randomUUID());
    const next = seededRandom(mode === 'sse' ? 4 : 3);
    const token = await backend.server.token('agent', { territory_id: scope[0] });
    const customerOp = (): CustomerOp => {
      const key = Math.floor(next() * ids.length);
      const roll = next();
      const inScope = next() < 0.6;
      if (roll < 0.4) return { kind: 'insert', key, inScope, name: `c${Math.floor(next() * 1000)}`, credit: BigInt(Math.floor(next() * 1e6)), active: next() < 0.7 };
      if (roll < 0.85) return { kind: 'update', key, ...(next() < 0.5 ? { inScope } : {}), name: `u${Math.floor(next() * 1000)}`, ...(next() < 0.3 ? { active: next() < 0.5 } : {}) };
      return { kind: 'delete', key };
    };
    let writing = true;
    const work = Promise.all(
      writers.map(async (client) => {
        while (writing) {
          try {
            await client.query('begin');
            const ops = 1 + Math.floor(next() * 3);
            for (let i = 0; i < ops; i++) {
              await applyCustomerOp(client, customerOp(), ids, scope);
              await sleep(Math.floor(next() * 4)); // keep transactions open across snapshots
            }
            await client.query(next() < 0.85 ? 'commit' : 'rollback');
          } catch (error) {
            await client.query('rollback').catch(() => {});
            if ((error as { code?: string }).code !== '40P01') throw error;
          }
        }
      }),
    );
    const streams: LiveShape<Row<unknown>>[] = [];
    try {
      for (const [delay, withWhere] of [[40, false], [100, true], [100, false], [120, false]] as const) {
        await sleep(delay);
        streams.push(openShape(backend, { token, mode, params: { table: 'customers.customers', ...(withWhere ? { where: 'active = $1', params: ['true'] } : {}) } }));
      }
      await Promise.all(streams.map((live) => live.shape.rows));
      await sleep(150);
      writing = false;
      await work;
      const marker = await insertMarker(scope[0]);
      for (const [index, live] of streams.entries()) {
        const withWhere = index === 1;
        const clientRows = await rowsAfterMarker(live, marker);
        const expected = await serverRows(backend.database.db, 'customers.customers', `territory_id = $1${withWhere ? ' and active' : ''}`, [scope[0]]);
        expect({ stream: index, anomalies: live.log.anomalies() }).toEqual({ stream: index, anomalies: noAnomalies });
        expect(live.log.mustRefetches).toBe(0);
        expect(clientRows).toEqual(expected);
        // The stream really did start mid-write: its snapshot and tail both carried rows.
        expect(live.log.liveChanges.length).toBeGreaterThan(0);
      }
    } finally {
      writing = false;
      await work.catch(() => {});
      for (const live of streams) live.close();
    }
  }, 60_000);
});
