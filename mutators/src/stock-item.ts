/**
 * Stock and its ledger. The rule (ARCHITECTURE.md §5): on hand = the latest count + the movements
 * that occurred after it. A movement that occurred before the latest count but arrives later (from
 * a device that was offline) is recorded but does not change on hand: the count already saw it.
 * The same code runs on the device and the server, so both apply the rule to what they know.
 */
import type { MutatorContext } from './define-mutator.ts';
import { instant, num } from './guards.ts';
import type { Row } from './mutation-tx.ts';

/**
 * The stock row of a warehouse × product, created at zero if missing, and locked on the server
 * until the mutation commits. Every stock change of one item takes this lock first (the saga's
 * reservations too), so counts, movements and reservations of an item are serialized and none
 * is lost; what is read after it is the latest committed state.
 */
export async function lockStockItem(ctx: MutatorContext, warehouseID: string, productID: string): Promise<Row> {
  const where = { warehouse_id: warehouseID, product_id: productID };
  const [existing] = await ctx.tx.list('inventory.stock_items', where, { lock: true });
  if (existing) return existing;
  const fresh = { id: ctx.newID(), ...where, on_hand: 0, reserved: 0, available: 0, version: 1, created_at: ctx.now, updated_at: ctx.now };
  await ctx.tx.insert('inventory.stock_items', fresh, { ifAbsent: true }); // another device may create it at the same moment
  const [item] = await ctx.tx.list('inventory.stock_items', where, { lock: true });
  return item ?? fresh;
}

/** The count that set on hand last (applied or approved), by when it was taken. */
export async function latestCount(ctx: MutatorContext, warehouseID: string, productID: string): Promise<Row | undefined> {
  const [latest] = await ctx.tx.list(
    'inventory.count_lines',
    { warehouse_id: warehouseID, product_id: productID, status: ['applied', 'approved'] },
    { orderBy: ['occurred_at', 'desc'], limit: 1 },
  );
  return latest;
}

/** The sum of the movements (other than counts) that occurred after `after`. */
export async function movementsAfter(ctx: MutatorContext, warehouseID: string, productID: string, after: number): Promise<number> {
  const movements = await ctx.tx.list('inventory.movements', { warehouse_id: warehouseID, product_id: productID }, { after: ['occurred_at', new Date(after).toISOString()] });
  return movements.filter((movement) => movement.kind !== 'count').reduce((sum, movement) => sum + num(movement.quantity), 0);
}

/**
 * Changes on-hand and reserved of a stock row by the given deltas, and returns the new quantities.
 * `item` is the row lockStockItem returned in this mutation, with no stock change since: it is
 * read once, under its lock. `available` is derived by a trigger on the server; the device has
 * no trigger, so it is written here too.
 */
export async function changeStock(
  ctx: MutatorContext,
  item: Row,
  change: { onHand?: number; reserved?: number; setOnHand?: number },
): Promise<{ onHand: number; reserved: number; available: number }> {
  const onHand = change.setOnHand ?? num(item.on_hand) + (change.onHand ?? 0);
  const reserved = Math.max(0, num(item.reserved) + (change.reserved ?? 0));
  await ctx.tx.update('inventory.stock_items', String(item.id), { on_hand: onHand, reserved, available: onHand - reserved, version: num(item.version) + 1, updated_at: ctx.now });
  return { onHand, reserved, available: onHand - reserved };
}

export interface Movement {
  id?: string;
  warehouseID: string;
  productID: string;
  binID?: string | null;
  kind: 'receipt' | 'pick' | 'adjustment' | 'count' | 'transfer_out' | 'transfer_in';
  quantity: number;
  reason?: string;
  referenceType?: string;
  referenceID?: string;
  occurredAt: string;
}

async function insertMovement(ctx: MutatorContext, movement: Movement, affectsOnHand: boolean): Promise<void> {
  await ctx.tx.insert('inventory.movements', {
    id: movement.id ?? ctx.newID(),
    warehouse_id: movement.warehouseID,
    product_id: movement.productID,
    bin_id: movement.binID ?? null,
    kind: movement.kind,
    quantity: movement.quantity,
    affects_on_hand: affectsOnHand,
    reason: movement.reason ?? '',
    reference_type: movement.referenceType ?? null,
    reference_id: movement.referenceID ?? null,
    occurred_at: movement.occurredAt,
    recorded_at: ctx.now,
    user_id: ctx.actor.sub,
    client_id: ctx.clientID,
    mutation_id: ctx.mutationID,
    created_at: ctx.now,
    updated_at: ctx.now,
  });
}

/**
 * Records a movement in the ledger and applies it to on hand unless the latest count was taken
 * after it occurred; then that count's expected quantity learns of it instead. `reserved` (a
 * reservation the movement consumes, e.g. a pick) changes either way. A caller that has locked the
 * item already (and not changed its stock since) passes the row it got.
 */
export async function applyMovement(ctx: MutatorContext, movement: Movement, reservedChange = 0, locked?: Row): Promise<{ onHand: number; reserved: number; available: number }> {
  const item = locked ?? (await lockStockItem(ctx, movement.warehouseID, movement.productID));
  const count = await latestCount(ctx, movement.warehouseID, movement.productID);
  const affectsOnHand = !count || instant(movement.occurredAt) > instant(count.occurred_at);
  await insertMovement(ctx, movement, affectsOnHand);
  if (!affectsOnHand && count.expected_qty !== null && count.expected_qty !== undefined) {
    const expected = num(count.expected_qty) + movement.quantity;
    await ctx.tx.update('inventory.count_lines', String(count.id), { expected_qty: expected, variance: num(count.counted_qty) - expected, updated_at: ctx.now });
  }
  return changeStock(ctx, item, { onHand: affectsOnHand ? movement.quantity : 0, reserved: reservedChange });
}

/** Records the count's own ledger row (its variance), which never counts as a movement after a count. */
export async function recordCountMovement(ctx: MutatorContext, movement: Omit<Movement, 'kind'>): Promise<void> {
  await insertMovement(ctx, { ...movement, kind: 'count' }, true);
}
