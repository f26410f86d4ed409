import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { AccessClaims, PatchOperation } from '@niaga/protocol';
import { describe, expect, test } from 'vitest';
import type { TextRow } from '../shapes/change-messages.ts';
import type { PgSnapshot } from '../shapes/pg-snapshot.ts';
import type { ColumnInfo, TableInfo } from '../shapes/table-catalog.ts';
import type { TailEntry } from '../shapes/tail-index.ts';
import { clientViewOf } from './client-view.ts';
import { ViewPatch } from './view-patch.ts';

function tableInfo(name: string, columns: Record<string, string>): TableInfo {
  const [schema, table] = name.split('.') as [string, string];
  const infos = Object.entries(columns).map(([column, type]): ColumnInfo => ({
    name: column,
    type,
    dims: 0,
    notNull: column === 'id',
    pkIndex: column === 'id' ? 0 : undefined,
    typmod: -1,
    filterType: undefined,
  }));
  return { name, schema, table, columns: infos, primaryKey: ['id'] };
}

const catalog = new Map([
  ['catalog.products', tableInfo('catalog.products', { id: 'uuid', active: 'bool', price_minor: 'int8', cost_minor: 'int8' })],
  ['orders.carts', tableInfo('orders.carts', { id: 'uuid', customer_id: 'uuid', note: 'text' })],
  ['sync.clients', tableInfo('sync.clients', { id: 'text', client_group_id: 'text', user_id: 'uuid', last_mutation_id: 'int8' })],
]);

const me = randomUUID();
const other = randomUUID();
const shopper: AccessClaims = { sub: randomUUID(), sid: randomUUID(), role: 'customer', customer_id: me, agent_id: null, territory_id: null, warehouse_id: null };
const view = clientViewOf(shopper, catalog);
const nothingSeen: PgSnapshot = { xmin: 1n, xmax: 1n, xip: [] };

let lsn = 100n;
function transaction(xid: bigint, changes: { table: string; oldRow: TextRow | null; newRow: TextRow | null }[]): TailEntry[] {
  lsn += 1n;
  return changes.map((change, op) => ({
    lsn,
    op,
    xid,
    table: change.table,
    operation: change.oldRow === null ? 'insert' : change.newRow === null ? 'delete' : 'update',
    oldRow: change.oldRow,
    newRow: change.newRow,
  }));
}

describe('judging logged changes against a shopper view', () => {
  test('a row entering the view is a put of its visible columns, a row leaving it a del, a hidden change nothing', () => {
    const p = randomUUID();
    const patch = new ViewPatch(view, 'group', nothingSeen);
    const hidden = { id: p, active: 'f', price_minor: '100', cost_minor: '50' };
    const shown = { ...hidden, active: 't' };
    patch.addTransaction(transaction(10n, [{ table: 'catalog.products', oldRow: null, newRow: hidden }]));
    expect(patch.patch).toEqual([]);
    patch.addTransaction(transaction(11n, [{ table: 'catalog.products', oldRow: hidden, newRow: shown }]));
    expect(patch.patch).toEqual([{ op: 'put', key: `catalog.products/${p}`, value: { id: p, active: true, price_minor: 100 } }]);
    const costChanged = new ViewPatch(view, 'group', nothingSeen);
    costChanged.addTransaction(transaction(12n, [{ table: 'catalog.products', oldRow: shown, newRow: { ...shown, cost_minor: '70' } }]));
    expect(costChanged.patch).toEqual([]);
    patch.addTransaction(transaction(13n, [{ table: 'catalog.products', oldRow: shown, newRow: hidden }]));
    expect(patch.patch).toEqual([{ op: 'del', key: `catalog.products/${p}` }]);
  });

  test('another customer\'s cart never enters the patch, and a table outside the role is ignored', () => {
    const patch = new ViewPatch(view, 'group', nothingSeen);
    patch.addTransaction(
      transaction(20n, [
        { table: 'orders.carts', oldRow: null, newRow: { id: randomUUID(), customer_id: other, note: '' } },
        { table: 'inventory.stock_items', oldRow: null, newRow: { id: randomUUID(), warehouse_id: randomUUID() } },
      ]),
    );
    expect(patch.patch).toEqual([]);
  });

  test('last mutation ids come from this client group\'s client rows only, and skip what the full view already held', () => {
    const seen: PgSnapshot = { xmin: 50n, xmax: 60n, xip: [55n] };
    const patch = new ViewPatch(view, 'group-a', seen);
    const client = (id: string, group: string, last: number): TextRow => ({ id, client_group_id: group, user_id: shopper.sub, last_mutation_id: String(last) });
    const cart = randomUUID();
    // xid 52 committed before the full view was read: already in it, even though logged after its cookie.
    patch.addTransaction(transaction(52n, [{ table: 'sync.clients', oldRow: client('c1', 'group-a', 1), newRow: client('c1', 'group-a', 2) }, { table: 'orders.carts', oldRow: null, newRow: { id: cart, customer_id: me, note: 'seen' } }]));
    expect(patch.patch).toEqual([]);
    expect(patch.lastMutationIDChanges).toEqual({});
    // xid 55 was in progress then, xid 61 began later: both are new to the client.
    patch.addTransaction(transaction(55n, [{ table: 'sync.clients', oldRow: client('c1', 'group-a', 2), newRow: client('c1', 'group-a', 3) }]));
    patch.addTransaction(transaction(61n, [{ table: 'sync.clients', oldRow: null, newRow: client('c9', 'group-b', 7) }, { table: 'orders.carts', oldRow: { id: cart, customer_id: me, note: 'seen' }, newRow: { id: cart, customer_id: me, note: 'new' } }]));
    expect(patch.lastMutationIDChanges).toEqual({ c1: 3 });
    // Client rows are data of their owner's view too (all their groups), like any synced row.
    expect(patch.patch).toEqual([
      { op: 'put', key: 'sync.clients/c1', value: { id: 'c1', client_group_id: 'group-a', user_id: shopper.sub, last_mutation_id: 3 } },
      { op: 'put', key: 'sync.clients/c9', value: { id: 'c9', client_group_id: 'group-b', user_id: shopper.sub, last_mutation_id: 7 } },
      { op: 'put', key: `orders.carts/${cart}`, value: { id: cart, customer_id: me, note: 'new' } },
    ]);
  });
});

/** The shopper's view of a products table, from the rows themselves: what the patch must lead to. */
function expectedView(rows: ReadonlyMap<string, TextRow>): Map<string, unknown> {
  const visible = new Map<string, unknown>();
  for (const row of rows.values()) {
    if (row.active === 't') visible.set(`catalog.products/${row.id}`, { id: row.id, active: true, price_minor: Number(row.price_minor) });
  }
  return visible;
}

function apply(state: Map<string, unknown>, patch: readonly PatchOperation[]): Map<string, unknown> {
  const next = new Map(state);
  for (const operation of patch) {
    if (operation.op === 'clear') next.clear();
    else if (operation.op === 'del') next.delete(operation.key);
    else next.set(operation.key, operation.value);
  }
  return next;
}

test('any sequence of product changes, applied as a patch to the view before it, gives the view after it', () => {
  const ids = [randomUUID(), randomUUID(), randomUUID()];
  const change = fc.record({ id: fc.constantFrom(...ids), kind: fc.constantFrom('upsert', 'delete'), active: fc.boolean(), price: fc.nat(1000), cost: fc.nat(1000) });
  fc.assert(
    fc.property(fc.array(fc.array(change, { minLength: 1, maxLength: 4 }), { maxLength: 12 }), fc.nat(12), (transactions, split) => {
      const rows = new Map<string, TextRow>();
      const entries: TailEntry[][] = [];
      for (const [index, changes] of transactions.entries()) {
        entries.push(
          transaction(
            BigInt(100 + index),
            changes.map((c) => {
              const before = rows.get(c.id) ?? null;
              const after = c.kind === 'delete' ? null : { id: c.id, active: c.active ? 't' : 'f', price_minor: String(c.price), cost_minor: String(c.cost) };
              if (after) rows.set(c.id, after);
              else rows.delete(c.id);
              return { table: 'catalog.products', oldRow: before, newRow: after };
            }),
          ).filter((entry) => entry.oldRow !== null || entry.newRow !== null),
        );
      }
      // The client pulled once after `split` transactions, then again at the end.
      const at = Math.min(split, entries.length);
      const replay = new Map<string, TextRow>();
      const first = new ViewPatch(view, 'group', nothingSeen);
      for (const tx of entries.slice(0, at)) first.addTransaction(tx);
      const second = new ViewPatch(view, 'group', nothingSeen);
      for (const tx of entries.slice(at)) second.addTransaction(tx);
      for (const tx of entries) for (const entry of tx) if (entry.newRow) replay.set(entry.newRow.id!, entry.newRow); else replay.delete(entry.oldRow!.id!);
      expect(apply(apply(new Map(), first.patch), second.patch)).toEqual(expectedView(replay));
    }),
  );
});
