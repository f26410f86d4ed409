/**
 * Convergence (issue 4, property 2) through the real push endpoint and Postgres: pickers on
 * several devices record counts, adjustments and a transfer's ship and receive while offline; the
 * same intents delivered in two different interleavings (each device's own order kept, a receive
 * never before its transfer exists) end in the same stock, counts and transfer, by the ledger rule.
 */
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startShapeServer, type ShapeServer } from '../test-support/shape-server.ts';

let database: TestDatabase;
let server: ShapeServer;
const productID = randomUUID();

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.query(`insert into catalog.products (id, sku, name, price_minor) values ($1, 'CNV-1', 'Tea', 100)`, [productID]);
  // Every count applies here: what a held count does is tested on its own.
  server = await startShapeServer(database.db, { COUNT_VARIANCE_THRESHOLD: '1000000' });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await database?.drop();
});

/** Device 0 and 1 work in the source warehouse, device 2 in the destination. */
type Intent =
  | { device: 0 | 1; kind: 'count'; qty: number; minute: number }
  | { device: 0 | 1; kind: 'adjust'; delta: number; minute: number }
  | { device: 0; kind: 'create' | 'ship'; qty: number; minute: number }
  | { device: 2; kind: 'receive'; qty: number; minute: number };

const floorWork = fc.oneof(
  fc.record({ device: fc.constantFrom(0 as const, 1 as const), kind: fc.constant('count' as const), qty: fc.integer({ min: 0, max: 30 }), minute: fc.integer({ min: 1, max: 50 }) }),
  fc.record({
    device: fc.constantFrom(0 as const, 1 as const),
    kind: fc.constant('adjust' as const),
    delta: fc.integer({ min: -4, max: 4 }).filter((delta) => delta !== 0),
    minute: fc.integer({ min: 1, max: 50 }),
  }),
);

const scenarioArb = fc
  .record({
    work: fc.array(floorWork, { maxLength: 6 }),
    shipped: fc.integer({ min: 1, max: 8 }),
    received: fc.integer({ min: 0, max: 8 }),
    shipMinute: fc.integer({ min: 1, max: 50 }),
    receiveMinute: fc.integer({ min: 51, max: 59 }),
  })
  .filter(({ work, shipMinute }) => new Set([...work.map((intent) => intent.minute), shipMinute]).size === work.length + 1)
  .map(({ work, shipped, received, shipMinute, receiveMinute }): Intent[] => [
    { device: 0, kind: 'create', qty: shipped, minute: 0 },
    ...work,
    { device: 0, kind: 'ship', qty: shipped, minute: shipMinute },
    { device: 2, kind: 'receive', qty: received, minute: receiveMinute },
  ]);

/** A delivery order: a random merge of the devices' queues, a receive only after the create. */
function interleaving(intents: readonly Intent[], choices: readonly number[]): Intent[] {
  const queues = [0, 1, 2].map((device) => intents.filter((intent) => intent.device === device));
  const order: Intent[] = [];
  let created = false;
  for (let step = 0; order.length < intents.length; step++) {
    const ready = queues.filter((queue) => queue.length > 0 && (queue[0]!.kind !== 'receive' || created));
    const queue = ready[(choices[step % choices.length] ?? 0) % ready.length]!;
    const next = queue.shift()!;
    if (next.kind === 'create') created = true;
    order.push(next);
  }
  return order;
}

async function deliver(order: readonly Intent[], intents: readonly Intent[]) {
  const [from, to] = [randomUUID(), randomUUID()];
  await database.db.query(`insert into inventory.warehouses (id, code, name) values ($1, $3, 'From'), ($2, $4, 'To')`, [from, to, `F-${from.slice(0, 8).toUpperCase()}`, `T-${to.slice(0, 8).toUpperCase()}`]);
  await database.db.query('insert into inventory.stock_items (warehouse_id, product_id, on_hand) values ($1, $2, 20)', [from, productID]);
  const tokens = [await server.token('warehouse', { warehouse_id: from }), await server.token('warehouse', { warehouse_id: from }), await server.token('warehouse', { warehouse_id: to })];
  const clients = [randomUUID(), randomUUID(), randomUUID()];
  const nextID = [0, 0, 0];
  const transferID = randomUUID();
  const intentIDs: string[] = intents.map(() => randomUUID());
  const at = (minute: number) => new Date(Date.now() - (60 - minute) * 60_000).toISOString();
  for (const intent of order) {
    const id = intentIDs[intents.indexOf(intent)]!;
    const [name, args] = ((): [string, object] => {
      switch (intent.kind) {
        case 'count':
          return ['stock.count', { countID: id, warehouseID: from, productID, countedQty: intent.qty, occurredAt: at(intent.minute) }];
        case 'adjust':
          return ['stock.adjust', { adjustmentID: id, warehouseID: from, productID, delta: intent.delta, reason: 'r', occurredAt: at(intent.minute) }];
        case 'create':
          return ['transfer.create', { transferID, fromWarehouseID: from, toWarehouseID: to, lines: [{ lineID: id, productID, qty: intent.qty }] }];
        case 'ship':
          return ['transfer.ship', { transferID, lines: [{ productID, qty: intent.qty }], occurredAt: at(intent.minute) }];
        case 'receive':
          return ['transfer.receive', { transferID, lines: [{ productID, qty: intent.qty }], occurredAt: at(intent.minute) }];
      }
    })();
    const response = await fetch(`${server.baseUrl}/api/v1/sync/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[intent.device]!}` },
      body: JSON.stringify({ pushVersion: 1, clientGroupID: clients[intent.device], mutations: [{ clientID: clients[intent.device], id: ++nextID[intent.device]!, name, args, timestamp: 0 }] }),
    });
    expect(response.status).toBe(200);
  }
  const query = async <T extends object>(sql: string) => (await database.db.query<T>(sql, [from, to, transferID])).rows;
  return {
    stock: await query<{ side: string; on_hand: number }>(`select case warehouse_id when $1 then 'from' when $2 then 'to' end as side, on_hand from inventory.stock_items where warehouse_id in ($1, $2) and $3::uuid is not null order by side`),
    counts: (await query<{ id: string; status: string }>(`select id::text, status from inventory.count_lines where warehouse_id = $1 and $2::uuid is not null and $3::uuid is not null`))
      .map((row) => ({ intent: intentIDs.indexOf(row.id), status: row.status }))
      .sort((a, b) => a.intent - b.intent),
    transfer: await query<{ status: string; shipped_qty: number; received_qty: number }>(
      `select t.status, l.shipped_qty, l.received_qty from inventory.transfers t join inventory.transfer_lines l on l.transfer_id = t.id where t.id = $3 and $1::uuid is not null and $2::uuid is not null`,
    ),
    ledger: (await query<{ kind: string; quantity: number }>(`select kind, quantity from inventory.movements where warehouse_id in ($1, $2) and kind <> 'count' and $3::uuid is not null`))
      .map((row) => `${row.kind} ${row.quantity}`)
      .sort(),
    rejected: (await database.db.query<{ count: number }>(`select count(*)::int as count from sync.mutation_results where client_id = any($1::text[]) and status = 'rejected'`, [clients])).rows[0]!.count,
  };
}

test('counts, adjustments and a transfer delivered in any interleaving end in the same state', async () => {
  await fc.assert(
    fc.asyncProperty(scenarioArb, fc.array(fc.nat(), { minLength: 1, maxLength: 20 }), fc.array(fc.nat(), { minLength: 1, maxLength: 20 }), async (intents, choicesA, choicesB) => {
      const first = await deliver(interleaving(intents, choicesA), intents);
      const second = await deliver(interleaving(intents, choicesB), intents);
      expect(second).toEqual(first);
      expect(first.rejected).toBe(0);
      // The rule: source on hand = the latest count + what moved after it (or 20 + every movement).
      const source = intents.filter((intent) => intent.kind === 'count' || intent.kind === 'adjust' || intent.kind === 'ship');
      const latest = source.filter((intent) => intent.kind === 'count').sort((a, b) => b.minute - a.minute)[0];
      const moved = (after: number) =>
        source.reduce((sum, intent) => sum + (intent.minute > after ? (intent.kind === 'adjust' ? intent.delta : intent.kind === 'ship' ? -intent.qty : 0) : 0), 0);
      const expected = latest?.kind === 'count' ? latest.qty + moved(latest.minute) : 20 + moved(-1);
      expect(first.stock.find((row) => row.side === 'from')?.on_hand).toBe(expected);
      const receive = intents.at(-1)!;
      expect(first.stock.find((row) => row.side === 'to')?.on_hand ?? 0).toBe(receive.kind === 'receive' ? receive.qty : NaN);
    }),
    { numRuns: 12 },
  );
}, 120_000);
