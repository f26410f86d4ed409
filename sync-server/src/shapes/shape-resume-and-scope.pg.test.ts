/**
 * Read-path properties 4 and 5 (ARCHITECTURE.md §4) with the official client against real
 * Postgres, in long-poll and SSE live modes:
 *  4. resuming from any offset the server returned gives exactly the later changes; an offset the
 *     log was compacted past gets a 409 and a clean refetch;
 *  5. a user never receives a row or a column their rules exclude, whatever `where` they craft,
 *     and not through move-ins either.
 */
import { randomUUID } from 'node:crypto';
import { isChangeMessage, isControlMessage, type ChangeMessage, type Message, type Row } from '@electric-sql/client';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPgShapeBackend, type PgShapeBackend } from '../test-support/pg-shape-backend.ts';
import { byKey, closeBackend, liveModes, noAnomalies, openShape, rawShapeGet, serverRows, sleep, waitFor, type LiveMode } from '../test-support/shape-test-kit.ts';
import { compactChangeLog } from './compaction.ts';

let backend: PgShapeBackend;
let writer: pg.Client;

beforeAll(async () => {
  backend = await startPgShapeBackend();
  writer = new pg.Client({ connectionString: backend.database.url });
  await writer.connect();
}, 60_000);
afterAll(async () => {
  await writer?.end();
  await closeBackend(backend);
});

/** A change as the application sees it, for comparing two deliveries of the same log. */
const essence = (message: ChangeMessage<Row<unknown>>) => ({ key: message.key, operation: message.headers.operation, value: message.value });

// ---------------------------------------------------------------------------------------------
// 4. Resume and compaction
// ---------------------------------------------------------------------------------------------

type Step = { kind: 'insert'; key: number; inScope: boolean; credit: number } | { kind: 'update'; key: number; inScope?: boolean; credit: number } | { kind: 'delete'; key: number };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), key: fc.nat(7), inScope: fc.boolean(), credit: fc.nat(1_000_000) }),
  fc.record({ kind: fc.constant('update' as const), key: fc.nat(7), inScope: fc.boolean(), credit: fc.nat(1_000_000) }, { requiredKeys: ['kind', 'key', 'credit'] }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.nat(7) }),
);
interface Transaction {
  readonly steps: readonly Step[];
  readonly commit: boolean;
  readonly pauseMs: number;
}
const transactionsArb: fc.Arbitrary<Transaction[]> = fc.array(
  fc.record({ steps: fc.array(stepArb, { minLength: 1, maxLength: 3 }), commit: fc.nat(9).map((n) => n < 8), pauseMs: fc.constantFrom(0, 0, 5, 30) }),
  { minLength: 4, maxLength: 12 },
);

async function runTransactions(transactions: readonly Transaction[], ids: readonly string[], scope: readonly [string, string]) {
  for (const transaction of transactions) {
    await writer.query('begin');
    for (const step of transaction.steps) {
      const id = ids[step.key];
      const territory = (inScope: boolean | undefined) => (inScope === undefined ? null : scope[inScope ? 0 : 1]);
      if (step.kind === 'insert') {
        await writer.query(`insert into customers.customers (id, name, territory_id, credit_limit_minor) values ($1, 'c', $2, $3) on conflict (id) do nothing`, [
          id,
          territory(step.inScope),
          step.credit,
        ]);
      } else if (step.kind === 'update') {
        await writer.query('update customers.customers set territory_id = coalesce($2, territory_id), credit_limit_minor = $3 where id = $1', [id, territory(step.inScope), step.credit]);
      } else {
        await writer.query('delete from customers.customers where id = $1', [id]);
      }
    }
    await writer.query(transaction.commit ? 'commit' : 'rollback');
    if (transaction.pauseMs > 0) await sleep(transaction.pauseMs);
  }
}

async function insertMarker(territory: string): Promise<string> {
  const id = randomUUID();
  await writer.query(`insert into customers.customers (id, name, territory_id) values ($1, 'marker', $2)`, [id, territory]);
  await backend.logCaughtUp();
  return id;
}

/** A fresh official ShapeStream started at `position`: the change messages it gets through the marker. */
async function resumeFrom(mode: LiveMode, token: string, position: { offset: string; handle: string }, markerId: string) {
  const resumed = openShape(backend, { token, mode, params: { table: 'customers.customers' }, ...position });
  try {
    await waitFor(
      () => resumed.errors.length > 0 || resumed.log.liveChanges.some((change) => change.value.id === markerId),
      () => `the resumed stream to reach the marker (${resumed.log.liveChanges.length} changes)`,
    );
    expect(resumed.errors).toEqual([]);
    return resumed.log.liveChanges;
  } finally {
    resumed.close();
  }
}

describe.each(liveModes)('4. resume (%s)', (mode: LiveMode) => {
  test('resuming from any returned offset with its handle gives exactly the changes delivered after it', async () => {
    await fc.assert(
      fc.asyncProperty(transactionsArb, fc.array(fc.nat(), { minLength: 2, maxLength: 3 }), async (transactions, picks) => {
        const scope = [randomUUID(), randomUUID()] as const;
        const ids = Array.from({ length: 8 }, () => randomUUID());
        const token = await backend.server.token('agent', { territory_id: scope[0] });
        const live = openShape(backend, { token, mode, params: { table: 'customers.customers' } });
        try {
          await live.shape.rows;
          await runTransactions(transactions, ids, scope);
          const marker = await insertMarker(scope[0]);
          await waitFor(() => live.errors.length > 0 || live.shape.currentRows.some((row) => row.id === marker), 'the marker on the live stream');
          expect(live.errors).toEqual([]);
          // A response's up-to-date stands where its offset does: the SSE client resumes from
          // `${global_last_seen_lsn}_0`, and clients/sync saves it as the batch's cursor.
          for (const response of live.responses) {
            const last = response.body?.at(-1);
            if (last && isControlMessage(last) && last.headers.control === 'up-to-date') {
              expect(response.offset).toBe(`${(last.headers as { global_last_seen_lsn?: string }).global_last_seen_lsn}_0`);
            }
          }
          const positions = live.log.positions.filter((position) => position.handle === live.stream.shapeHandle);
          expect(positions.length).toBeGreaterThan(1);
          for (const pick of [0, ...picks]) {
            const position = positions[pick % positions.length]!;
            if (position.delivered === live.log.liveChanges.length) continue; // already at the marker: nothing later to compare
            const resumed = await resumeFrom(mode, token, position, marker);
            expect(resumed.map(essence)).toEqual(live.log.liveChanges.slice(position.delivered).map(essence));
          }
        } finally {
          live.close();
          await writer.query('rollback').catch(() => {});
        }
      }),
      { numRuns: 4, endOnFailure: true },
    );
  }, 90_000);

  test('an offset the log was compacted past gets a 409 and the client refetches cleanly to the current rows', async () => {
    const scope = [randomUUID(), randomUUID()] as const;
    const ids = Array.from({ length: 8 }, () => randomUUID());
    const token = await backend.server.token('agent', { territory_id: scope[0] });
    await runTransactions([{ steps: [{ kind: 'insert', key: 0, inScope: true, credit: 1 }, { kind: 'insert', key: 1, inScope: true, credit: 2 }], commit: true, pauseMs: 0 }], ids, scope);
    const first = openShape(backend, { token, mode, params: { table: 'customers.customers' } });
    await first.shape.rows;
    await runTransactions(
      [
        { steps: [{ kind: 'update', key: 0, credit: 10 }], commit: true, pauseMs: 0 },
        { steps: [{ kind: 'insert', key: 2, inScope: true, credit: 3 }], commit: true, pauseMs: 0 },
      ],
      ids,
      scope,
    );
    const marker = await insertMarker(scope[0]);
    await waitFor(() => first.shape.currentRows.some((row) => row.id === marker), 'the marker');
    const early = first.log.positions[0]!;
    first.close();

    await runTransactions(
      [
        { steps: [{ kind: 'delete', key: 1 }], commit: true, pauseMs: 0 },
        { steps: [{ kind: 'update', key: 2, inScope: false, credit: 4 }, { kind: 'insert', key: 3, inScope: true, credit: 5 }], commit: true, pauseMs: 0 },
      ],
      ids,
      scope,
    );
    await backend.logCaughtUp();
    const { compactedBefore } = await compactChangeLog(backend.database.db, 0);
    expect(compactedBefore).toBeGreaterThan(BigInt(early.offset.split('_')[0]!));

    const resumed = openShape(backend, { token, mode, params: { table: 'customers.customers' }, offset: early.offset, handle: early.handle });
    try {
      const lastMarker = await insertMarker(scope[0]);
      await waitFor(
        () => resumed.errors.length > 0 || resumed.shape.currentRows.some((row) => row.id === lastMarker),
        () => `the refetched shape (${resumed.responses.map((response) => response.status).join(',')})`,
      );
      expect(resumed.errors).toEqual([]);
      expect(resumed.responses[0]!.status).toBe(409);
      expect(resumed.log.mustRefetches).toBe(1);
      expect(resumed.log.anomalies()).toEqual(noAnomalies);
      expect(byKey(resumed.shape.currentRows)).toEqual(await serverRows(backend.database.db, 'customers.customers', 'territory_id = $1', [scope[0]]));
    } finally {
      resumed.close();
    }
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
// 5. Nothing outside the rules
// ---------------------------------------------------------------------------------------------

/** Fragments a hostile or careless client might put in `where`: every one must be refused or harmless. */
const craftedFragments = [
  '1=1) OR (1=1',
  "territory_id = territory_id OR 'a' = 'a'",
  'true',
  'NOT false',
  'territory_id IS NULL',
  'territory_id IS NOT NULL OR territory_id IS NULL',
  "id IN (SELECT id FROM customers.customers)",
  '(select true)',
  "pg_sleep(1) IS NULL",
  "lower(name) = 'c'",
  'name = name -- and more',
  '/* comment */ true',
  'true; delete from customers.customers',
  'customers.customers.id IS NOT NULL',
  'cost_minor > 0',
  'credit_limit_minor >= 0',
  'credit_limit_minor::text = $1',
  "name LIKE '%'",
  "name ILIKE $1",
  'id = $1',
  'territory_id <> $1',
  "territory_id IN ($1, '00000000-0000-4000-8000-000000000000')",
  '$1',
  'NOT (territory_id = $1)',
  'active OR NOT active',
  'active IS UNKNOWN OR active IS NOT UNKNOWN',
] as const;
const craftedParams = ["' OR '1'='1", '%', '00000000-0000-4000-8000-000000000000', 'true', '1); drop table customers.customers; --', ''] as const;

const craftedWhereArb = fc.record({
  parts: fc.array(fc.constantFrom(...craftedFragments), { minLength: 1, maxLength: 3 }),
  joiners: fc.array(fc.constantFrom(' OR ', ' AND ', ' or not ', ') OR (', ' '), { minLength: 2, maxLength: 2 }),
  param: fc.option(fc.constantFrom(...craftedParams), { nil: undefined }),
});

interface ScopeCase {
  readonly role: 'agent' | 'warehouse' | 'customer';
  readonly table: string;
  readonly claims: Record<string, string>;
  /** Whether a row the server returned may be seen by this user. */
  readonly allows: (row: Record<string, unknown>) => boolean;
  readonly columns: readonly string[];
}

describe('5. nothing outside the rules', () => {
  const territory = randomUUID();
  const otherTerritory = randomUUID();
  const customer = randomUUID();
  let warehouse = '';
  let otherWarehouse = '';
  let customerColumns: string[] = [];
  let productColumns: string[] = [];
  let stockColumns: string[] = [];

  beforeAll(async () => {
    const db = backend.database.db;
    const columnsOf = async (table: string) =>
      (
        await db.query<{ name: string }>(
          `select attname as name from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum`,
          [table],
        )
      ).rows.map((row) => row.name);
    customerColumns = await columnsOf('customers.customers');
    productColumns = (await columnsOf('catalog.products')).filter((name) => name !== 'cost_minor');
    stockColumns = ['id', 'warehouse_id', 'product_id', 'available', 'updated_at'];
    const { rows: warehouses } = await db.query<{ id: string }>(`insert into inventory.warehouses (code, name) values ('SCOPE-A', 'A'), ('SCOPE-B', 'B') returning id`);
    [warehouse, otherWarehouse] = [warehouses[0]!.id, warehouses[1]!.id];
    await db.query(
      `insert into customers.customers (id, name, territory_id, active) values
         ($1, 'c', $2, true), (gen_random_uuid(), 'c', $2, false), (gen_random_uuid(), 'c', $3, true), (gen_random_uuid(), 'c', null, true)`,
      [customer, territory, otherTerritory],
    );
    await db.query(
      `insert into catalog.products (sku, name, price_minor, cost_minor, active)
       select 'SCOPE-' || g, 'p' || g, 100 * g, 60 * g, g % 2 = 0 from generate_series(1, 6) g`,
    );
    await db.query(
      `insert into inventory.stock_items (warehouse_id, product_id, on_hand)
       select w, p.id, 5 from catalog.products p, unnest(array[$1::uuid, $2::uuid]) w where p.sku like 'SCOPE-%'`,
      [warehouse, otherWarehouse],
    );

  });

  const cases = (): ScopeCase[] => [
    { role: 'agent', table: 'customers.customers', claims: { territory_id: territory }, allows: (row) => row.territory_id === territory, columns: customerColumns },
    { role: 'customer', table: 'customers.customers', claims: { customer_id: customer }, allows: (row) => row.id === customer, columns: customerColumns },
    { role: 'agent', table: 'catalog.products', claims: { territory_id: territory }, allows: () => true, columns: productColumns },
    { role: 'customer', table: 'catalog.products', claims: { customer_id: customer }, allows: (row) => row.active === 'true', columns: productColumns },
    { role: 'warehouse', table: 'inventory.stock_items', claims: { warehouse_id: warehouse }, allows: (row) => row.warehouse_id === warehouse, columns: stockColumns.concat(['bin_id', 'on_hand', 'reserved', 'reorder_point', 'version', 'last_counted_at', 'created_at']) },
    { role: 'agent', table: 'inventory.stock_items', claims: { territory_id: territory }, allows: () => true, columns: stockColumns },
  ];

  test('a crafted where is refused (400) or only narrows: no row outside the rule, no hidden column, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(5), craftedWhereArb, async (caseIndex, crafted) => {
        const scopeCase = cases()[caseIndex]!;
        const where = crafted.parts.reduce((text, part, index) => (index === 0 ? part : `${text}${crafted.joiners[(index - 1) % 2]!}${part}`), '');
        const token = await backend.server.token(scopeCase.role, scopeCase.claims);
        const response = await rawShapeGet(backend, token, {
          table: scopeCase.table,
          offset: '-1',
          where,
          ...(crafted.param === undefined ? {} : { 'params[1]': crafted.param }),
        });
        expect([200, 400], `${response.status} for ${where}: ${response.text}`).toContain(response.status);
        if (response.status === 400) {
          expect(response.json).toMatchObject({ code: expect.any(String) as string, message: expect.any(String) as string });
          return;
        }
        for (const message of response.json as Message<Row<string>>[]) {
          if (!isChangeMessage(message)) continue;
          expect(Object.keys(message.value).every((column) => scopeCase.columns.includes(column)), `columns ${Object.keys(message.value).join(',')}`).toBe(true);
          expect(scopeCase.allows(message.value), `row ${JSON.stringify(message.value)} for ${where}`).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
    // The data is still there: nothing in a where was ever executed as SQL of its own.
    const { rows } = await backend.database.db.query<{ count: number }>('select count(*)::int as count from customers.customers where territory_id = $1', [territory]);
    expect(rows[0]!.count).toBe(2);
  }, 90_000);

  test('hidden columns and other tables are 403 whatever the role asks for', async () => {
    const agent = await backend.server.token('agent', { territory_id: territory });
    const picker = await backend.server.token('warehouse', { warehouse_id: warehouse });
    const refusals = [
      await rawShapeGet(backend, agent, { table: 'catalog.products', offset: '-1', columns: 'id,cost_minor' }),
      await rawShapeGet(backend, agent, { table: 'inventory.stock_items', offset: '-1', columns: 'id,on_hand' }),
      await rawShapeGet(backend, agent, { table: 'auth.users', offset: '-1' }),
      await rawShapeGet(backend, agent, { table: 'auth.sessions', offset: '-1' }),
      await rawShapeGet(backend, picker, { table: 'customers.customers', offset: '-1' }),
      await rawShapeGet(backend, picker, { table: 'sync.change_log', offset: '-1' }),
    ];
    for (const response of refusals) {
      expect(response.status, response.text).toBe(403);
      expect(response.json).toMatchObject({ code: 'FORBIDDEN' });
    }
  });

  describe.each(liveModes)('live (%s)', (mode: LiveMode) => {
    test('rows moving between scopes arrive as inserts and deletes of the own scope only, and hidden columns never ride along', async () => {
      const agent = await backend.server.token('agent', { territory_id: territory });
      const picker = await backend.server.token('warehouse', { warehouse_id: warehouse });
      const customers = openShape(backend, { token: agent, mode, params: { table: 'customers.customers', where: 'territory_id IS NOT NULL OR territory_id IS NULL' } });
      const products = openShape(backend, { token: agent, mode, params: { table: 'catalog.products', where: "sku LIKE 'SCOPE-%'" } });
      const stockAsAgent = openShape(backend, { token: agent, mode, params: { table: 'inventory.stock_items' } });
      const stockAsPicker = openShape(backend, { token: picker, mode, params: { table: 'inventory.stock_items', where: 'on_hand >= 0 OR on_hand < 0' } });
      const streams = [customers, products, stockAsAgent, stockAsPicker];
      // Stock only the other warehouse holds, to move into the picker's.
      const { rows: moving } = await backend.database.db.query<{ id: string }>(
        `with p as (insert into catalog.products (sku, name, price_minor, cost_minor) values ($2, 'm', 1, 1) returning id)
         insert into inventory.stock_items (warehouse_id, product_id, on_hand) select $1, id, 3 from p returning id`,
        [otherWarehouse, `MOVING-${mode}`],
      );
      try {
        await Promise.all(streams.map((live) => live.shape.rows));
        const db = backend.database.db;
        const wanderer = randomUUID();
        await db.query(`insert into customers.customers (id, name, territory_id) values ($1, 'w', $2)`, [wanderer, otherTerritory]);
        await db.query('update customers.customers set territory_id = $2 where id = $1', [wanderer, territory]); // moves in
        await db.query(`update customers.customers set name = 'w2' where id = $1`, [wanderer]);
        await db.query('update customers.customers set territory_id = $2 where id = $1', [wanderer, otherTerritory]); // moves out
        await db.query(`update customers.customers set name = 'w3' where id = $1`, [wanderer]); // unseen
        await db.query(`update catalog.products set cost_minor = cost_minor + 1 where sku like 'SCOPE-%'`); // only the hidden column changes
        await db.query(`update catalog.products set price_minor = price_minor + 1, cost_minor = cost_minor + 1 where sku = 'SCOPE-1'`);
        await db.query('update inventory.stock_items set warehouse_id = $2 where id = $1', [moving[0]!.id, warehouse]); // moves in for the picker
        await db.query(`update inventory.stock_items set on_hand = on_hand + 1 where warehouse_id = $1`, [otherWarehouse]); // unseen by the picker
        const marker = await insertMarker(territory);
        await waitFor(() => customers.shape.currentRows.some((row) => row.id === marker), 'the marker');
        await sleep(100); // the other streams' batches of the same changes

        const customerChanges = customers.log.liveChanges.filter((change) => String(change.value.id) === wanderer);
        expect(customerChanges.map((change) => change.headers.operation)).toEqual(['insert', 'update', 'delete']);
        for (const change of customers.log.liveChanges) if (change.headers.operation === 'insert') expect(change.value.territory_id).toBe(territory);

        // Cost-only updates still touch updated_at; none of the seven updates carries the cost.
        expect(products.log.liveChanges).toHaveLength(7);
        expect(products.log.liveChanges.filter((change) => 'price_minor' in change.value)).toHaveLength(1);
        for (const change of products.log.messages.filter(isChangeMessage)) expect(Object.keys(change.value)).not.toContain('cost_minor');
        for (const change of stockAsAgent.log.messages.filter(isChangeMessage)) {
          // Updates carry the key and the changed columns; inserts the whole visible row.
          if (change.headers.operation === 'insert') expect(Object.keys(change.value).sort()).toEqual([...stockColumns].sort());
          else expect(Object.keys(change.value).filter((column) => !stockColumns.includes(column))).toEqual([]);
        }
        expect(stockAsAgent.log.liveChanges.length).toBeGreaterThan(0);

        const pickerChanges = stockAsPicker.log.liveChanges;
        expect(pickerChanges.map((change) => change.headers.operation)).toEqual(['insert']);
        for (const change of stockAsPicker.log.messages.filter(isChangeMessage)) expect(change.value.warehouse_id).toBe(warehouse);
        for (const live of streams) {
          expect(live.errors).toEqual([]);
          expect(live.log.anomalies()).toEqual(noAnomalies);
        }
      } finally {
        for (const live of streams) live.close();
      }
    }, 60_000);
  });
});
