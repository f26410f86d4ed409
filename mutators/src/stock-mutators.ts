/**
 * Floor work on stock: counts (observations of what was in a bin at a moment) and adjustments
 * (known changes). On the device a count shows what the picker saw at once; the server records
 * what the ledger expected at that moment, applies the count if the variance is within the
 * threshold (on hand = counted + what moved after it), and otherwise holds it for an admin.
 */
import { Timestamp, Uuid } from '@niaga/protocol';
import { Type } from 'typebox';
import { defineMutator, type MutatorContext } from './define-mutator.ts';
import { instant, num, requireRow, requireWarehouseAccess } from './guards.ts';
import type { Row } from './mutation-tx.ts';
import { adjusted, applied, reject } from './outcome.ts';
import { applyMovement, changeStock, latestCount, lockStockItem, movementsAfter, recordCountMovement } from './stock-item.ts';

export const countStockArgs = Type.Object(
  {
    countID: Uuid,
    warehouseID: Uuid,
    binID: Type.Optional(Uuid),
    productID: Uuid,
    countedQty: Type.Integer({ minimum: 0, maximum: 10_000_000 }),
    occurredAt: Timestamp,
  },
  { additionalProperties: false },
);

/**
 * Whether count `a` comes after count `b`: taken later, or at the same instant with the greater
 * id. Two counts of one moment (two pickers, or a clock clamped to the server's) have no order of
 * their own; without one, whichever arrived first would win, and the stock would depend on the
 * order pushes arrived in.
 */
function countsAfter(a: Row, b: Row): boolean {
  const [at, bt] = [instant(a.occurred_at), instant(b.occurred_at)];
  return at !== bt ? at > bt : String(a.id).toLowerCase() > String(b.id).toLowerCase();
}

/**
 * Makes `count` the one that sets on hand: counted + every movement that occurred after it. The
 * count it replaces becomes superseded, so whatever order counts arrive in, one ends applied.
 * `stock` is the item's row as lockStockItem returned it in this mutation.
 */
async function applyCount(ctx: MutatorContext, count: Row, replaces: Row | undefined, stock: Row): Promise<void> {
  const warehouseID = String(count.warehouse_id);
  const productID = String(count.product_id);
  if (replaces) await ctx.tx.update('inventory.count_lines', String(replaces.id), { status: 'superseded', updated_at: ctx.now });
  const after = await movementsAfter(ctx, warehouseID, productID, instant(count.occurred_at));
  const changed = await changeStock(ctx, stock, { setOnHand: num(count.counted_qty) + after });
  await ctx.emit('inventory.updated', { warehouseID, productID, ...changed });
}

export const countStock = defineMutator('stock.count', countStockArgs, async (ctx, args) => {
  requireWarehouseAccess(ctx.actor, args.warehouseID);
  // On the server the primary key refuses a reused id (INVALID_STATE) without a read first.
  if (ctx.tx.location === 'device' && (await ctx.tx.get('inventory.count_lines', args.countID))) reject('INVALID_STATE', `Count ${args.countID} was recorded already`);
  await requireRow(ctx.tx, 'catalog.products', args.productID, 'Product');
  const line = {
    id: args.countID,
    session_id: null,
    warehouse_id: args.warehouseID,
    bin_id: args.binID ?? null,
    product_id: args.productID,
    counted_qty: args.countedQty,
    occurred_at: args.occurredAt,
    counted_by: ctx.actor.sub,
    client_id: ctx.clientID,
    mutation_id: ctx.mutationID,
    created_at: ctx.now,
    updated_at: ctx.now,
  };
  const stock = await lockStockItem(ctx, args.warehouseID, args.productID);
  if (ctx.tx.location === 'device') {
    // What the picker saw is what their screen shows until the server has reconciled the count.
    await ctx.tx.insert('inventory.count_lines', { ...line, expected_qty: null, variance: null, status: 'pending' });
    await changeStock(ctx, stock, { setOnHand: args.countedQty });
    return applied;
  }

  const takenAt = instant(args.occurredAt);
  const latest = await latestCount(ctx, args.warehouseID, args.productID);
  if (latest && countsAfter(latest, { occurred_at: args.occurredAt, id: args.countID })) {
    await ctx.tx.insert('inventory.count_lines', { ...line, expected_qty: null, variance: null, status: 'superseded' });
    await ctx.emit('stock.counted', { countID: args.countID, warehouseID: args.warehouseID, productID: args.productID, status: 'superseded' });
    return adjusted('COUNT_SUPERSEDED', 'A later count of this item was recorded first; this one is kept in the ledger but does not change stock', {
      laterCountID: latest.id,
    });
  }
  const onHand = num(stock.on_hand);
  const expected = onHand - (await movementsAfter(ctx, args.warehouseID, args.productID, takenAt));
  const variance = args.countedQty - expected;
  const held = Math.abs(variance) > ctx.policy.countVarianceThreshold;
  const count = { ...line, expected_qty: expected, variance, status: held ? 'awaiting_approval' : 'applied' };
  await ctx.tx.insert('inventory.count_lines', count);
  await ctx.emit('stock.counted', { countID: args.countID, warehouseID: args.warehouseID, productID: args.productID, status: count.status, variance });
  if (held) {
    return adjusted('COUNT_AWAITING_APPROVAL', `The count differs from the ledger by ${variance}; it waits for an admin to approve it`, { expected, variance });
  }
  if (variance !== 0) await recordCountMovement(ctx, { warehouseID: args.warehouseID, productID: args.productID, binID: args.binID ?? null, quantity: variance, referenceType: 'count', referenceID: args.countID, occurredAt: args.occurredAt });
  await applyCount(ctx, count, latest, stock);
  return applied;
});

export const reviewCountArgs = Type.Object(
  { countID: Uuid, decision: Type.Union([Type.Literal('approve'), Type.Literal('void')]) },
  { additionalProperties: false },
);

/** An admin approves a held count (it applies, unless a later count has been applied since) or voids it. */
export const reviewCount = defineMutator('count.review', reviewCountArgs, async (ctx, args) => {
  if (ctx.actor.role !== 'admin') reject('FORBIDDEN', 'Only admins approve or void counts');
  const found = await requireRow(ctx.tx, 'inventory.count_lines', args.countID, 'Count');
  // The item's stock first (as every stock change takes it), then the count, re-read under the lock.
  const stock = await lockStockItem(ctx, String(found.warehouse_id), String(found.product_id));
  const count = (await ctx.tx.get('inventory.count_lines', args.countID, { lock: true }))!;
  if (count.status !== 'awaiting_approval') reject('INVALID_STATE', `This count is ${String(count.status)}, not awaiting approval`);
  if (args.decision === 'void') {
    await ctx.tx.update('inventory.count_lines', args.countID, { status: 'voided', updated_at: ctx.now });
    return;
  }
  const latest = await latestCount(ctx, String(count.warehouse_id), String(count.product_id));
  const isLatest = !latest || countsAfter(count, latest);
  await ctx.tx.update('inventory.count_lines', args.countID, { status: isLatest ? 'approved' : 'superseded', updated_at: ctx.now });
  // A later count already applied stays the one that sets on hand; this one changes nothing.
  if (!isLatest) return;
  await recordCountMovement(ctx, {
    warehouseID: String(count.warehouse_id),
    productID: String(count.product_id),
    binID: (count.bin_id as string | null) ?? null,
    quantity: num(count.variance),
    referenceType: 'count',
    referenceID: args.countID,
    occurredAt: String(count.occurred_at),
  });
  await applyCount(ctx, count, latest, stock);
});

export const adjustStockArgs = Type.Object(
  {
    adjustmentID: Uuid,
    warehouseID: Uuid,
    productID: Uuid,
    delta: Type.Integer({ minimum: -10_000_000, maximum: 10_000_000, description: 'signed change to on-hand; not 0' }),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
    occurredAt: Timestamp,
  },
  { additionalProperties: false },
);

export const adjustStock = defineMutator('stock.adjust', adjustStockArgs, async (ctx, args) => {
  requireWarehouseAccess(ctx.actor, args.warehouseID);
  if (args.delta === 0) reject('INVALID_ARGS', 'An adjustment of 0 changes nothing; send the signed change');
  // On the server the primary key refuses a reused id (INVALID_STATE) without a read first.
  if (ctx.tx.location === 'device' && (await ctx.tx.get('inventory.movements', args.adjustmentID))) reject('INVALID_STATE', `Adjustment ${args.adjustmentID} was recorded already`);
  await requireRow(ctx.tx, 'catalog.products', args.productID, 'Product');
  const stock = await applyMovement(ctx, { id: args.adjustmentID, warehouseID: args.warehouseID, productID: args.productID, kind: 'adjustment', quantity: args.delta, reason: args.reason, occurredAt: args.occurredAt });
  await ctx.emit('inventory.updated', { warehouseID: args.warehouseID, productID: args.productID, ...stock });
});
