/**
 * The Replicache adapter against the official client (in memory, no server): list selects as
 * MemoryTx does, mutators write rows under `<table>/<id>`, a rejection leaves nothing behind.
 */
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { MemoryTx, type Actor, type ListOptions, type Row } from '@niaga/mutators';
import { Replicache, type ReadonlyJSONValue, type WriteTransaction } from 'replicache';
import { afterEach, expect, test } from 'vitest';
import { ReplicacheMutationTx, rowKey } from './replicache-mutation-tx.ts';
import { replayableIDs, replicacheMutators } from './replicache-mutators.ts';

const customerID = randomUUID();
const shopper: Actor = { sub: randomUUID(), role: 'customer', customer_id: customerID, agent_id: null, territory_id: null, warehouse_id: null };

type TestMutator = (tx: WriteTransaction, args: ReadonlyJSONValue) => Promise<ReadonlyJSONValue | void>;
const testMutators: Record<string, TestMutator> = {
  ...replicacheMutators(shopper),
  /** Puts rows as a pull would. */
  seed: async (tx, rows) => {
    for (const { key, value } of rows as { key: string; value: ReadonlyJSONValue }[]) await tx.set(key, value);
  },
  /** What the adapter's list answers. */
  list: async (tx, args) => {
    const query = args as unknown as { table: 'orders.orders'; where: Row; options: ListOptions };
    return (await new ReplicacheMutationTx(tx).list(query.table, query.where, query.options)) as ReadonlyJSONValue;
  },
};

const open: Replicache<typeof testMutators>[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((rep) => rep.close()));
});

function device(): Replicache<typeof testMutators> {
  const rep = new Replicache({ name: `adapter-${randomUUID()}`, kvStore: 'mem', mutators: testMutators, pullInterval: null, logLevel: 'error' });
  open.push(rep);
  return rep;
}

async function rows(rep: Replicache<typeof testMutators>, prefix: string): Promise<Record<string, unknown>> {
  return rep.query(async (tx) => Object.fromEntries(await tx.scan({ prefix }).entries().toArray()));
}

test('list through Replicache selects, orders and limits exactly as MemoryTx does', async () => {
  const rep = device();
  const row = fc.record({
    id: fc.uuid(),
    status: fc.constantFrom('placed', 'confirmed', null),
    total_minor: fc.integer({ min: 0, max: 50 }),
    placed_at: fc.constantFrom('2024-05-01 10:00:00+00', '2024-05-01T09:30:00.000Z', '2024-04-30 23:00:00-03'),
  });
  const query = fc.record(
    {
      where: fc.oneof(fc.constant({}), fc.record({ status: fc.constantFrom('placed', null) }), fc.record({ status: fc.constant(['placed', 'confirmed']) })),
      options: fc.record(
        {
          after: fc.constantFrom(['placed_at', '2024-05-01T09:00:00Z'] as const, ['total_minor', '20'] as const),
          orderBy: fc.constantFrom(['total_minor', 'asc'] as const, ['placed_at', 'desc'] as const),
          limit: fc.nat(5),
        },
        { requiredKeys: [] },
      ),
    },
  );
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(row, { selector: (r) => r.id, maxLength: 8 }), query, async (orders, { where, options }) => {
      const table = `t${randomUUID().slice(0, 8)}.orders`; // a fresh table per run, in the same store
      await rep.mutate.seed!(orders.map((order) => ({ key: rowKey(table, order.id), value: order })));
      const memory = new MemoryTx(new Map([[table, new Map(orders.map((order) => [order.id, order]))]]));
      const expected = await memory.list(table as 'orders.orders', where, options);
      const actual = (await rep.mutate.list!({ table, where, options })) as Row[];
      // Ties in orderBy keep no particular order: compare as sets unless the order is decided.
      if (options.orderBy && options.limit === undefined) expect(actual.map((r) => r[options.orderBy![0]])).toEqual(expected.map((r) => r[options.orderBy![0]]));
      if (options.limit === undefined) expect(new Set(actual.map((r) => r.id))).toEqual(new Set(expected.map((r) => r.id)));
      else expect(actual.length).toBe(expected.length);
    }),
    { numRuns: 60 },
  );
});

test('cart.add runs on the device: the cart and its line appear under <table>/<id>, a second add raises the quantity', async () => {
  const rep = device();
  const productID = randomUUID();
  await rep.mutate.seed!([{ key: rowKey('catalog.products', productID), value: { id: productID, name: 'Tea', active: true, price_minor: 250 } }]);
  const itemID = randomUUID();
  await rep.mutate['cart.add']!({ itemID, productID, qty: 2 });
  await rep.mutate['cart.add']!({ itemID: randomUUID(), productID, qty: 3 });
  const carts = Object.values(await rows(rep, 'orders.carts/')) as { id: string; customer_id: string }[];
  expect(carts).toEqual([expect.objectContaining({ customer_id: customerID })]);
  const items = await rows(rep, 'orders.cart_items/');
  expect(Object.keys(items)).toEqual([rowKey('orders.cart_items', itemID)]);
  expect(items[rowKey('orders.cart_items', itemID)]).toMatchObject({ id: itemID, cart_id: carts[0]!.id, product_id: productID, qty: 5, variant_id: null });
});

test('a mutation rejected on the device throws to the caller and leaves nothing behind', async () => {
  const rep = device();
  await expect(rep.mutate['cart.add']!({ itemID: randomUUID(), productID: randomUUID(), qty: 1 })).rejects.toMatchObject({ name: 'MutationRejected' });
  await expect(rep.mutate['cart.checkout']!({ orderID: randomUUID(), occurredAt: new Date().toISOString() })).rejects.toThrow(/empty/);
  expect(await rows(rep, '')).toEqual({});
  expect(await rep.experimentalPendingMutations()).toEqual([]);
});

test('ids a mutation makes up are the same on every replay of it and look like uuids', () => {
  const [first, again, other] = [replayableIDs('client-a', 7), replayableIDs('client-a', 7), replayableIDs('client-a', 8)];
  const ids = [first(), first()];
  expect([again(), again()]).toEqual(ids);
  expect(ids[0]).not.toBe(ids[1]);
  expect(other()).not.toBe(ids[0]);
  for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});
