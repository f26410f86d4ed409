/**
 * A picker confirms a pick line by scanning the item: the stock leaves the bin (on hand and the
 * order's reservation both go down), the order line advances, and the pick list completes when
 * its last line is confirmed.
 */
import { Timestamp, Uuid } from '@niaga/protocol';
import { Type } from 'typebox';
import { defineMutator } from './define-mutator.ts';
import { num, requireRow, worksIn } from './guards.ts';
import { applyMovement, lockStockItem } from './stock-item.ts';
import { reject } from './outcome.ts';

export const confirmPickArgs = Type.Object(
  {
    pickLineID: Uuid,
    qty: Type.Integer({ minimum: 0, maximum: 10_000_000 }),
    /** What the picker scanned; absent only for a short pick of nothing (the bin was empty). */
    scannedCode: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    occurredAt: Timestamp,
  },
  { additionalProperties: false },
);

export const confirmPick = defineMutator('pick.confirm', confirmPickArgs, async (ctx, args) => {
  const { tx } = ctx;
  const found = await tx.get('orders.pick_lines', args.pickLineID);
  // Outside the actor's warehouse is the same answer as missing: a refusal must not reveal it exists.
  if (!found || !worksIn(ctx.actor, found.warehouse_id)) return reject('NOT_FOUND', `Pick line ${args.pickLineID} does not exist`);
  // The list first, then the line: pickers confirming lines of one list at once are serialized,
  // so the last one sees the others' lines done and completes the list.
  await tx.get('orders.pick_lists', String(found.pick_list_id), { lock: true });
  const line = (await tx.get('orders.pick_lines', args.pickLineID, { lock: true }))!;
  if (line.status !== 'pending') reject('INVALID_STATE', `This line was already confirmed (${String(line.status)})`);
  const remaining = num(line.qty) - num(line.picked_qty);
  if (args.qty > remaining) reject('INVALID_ARGS', `Only ${remaining} left to pick on this line, not ${args.qty}`, { remaining });
  const product = await requireRow(tx, 'catalog.products', String(line.product_id), 'Product');
  if (args.scannedCode === undefined) {
    if (args.qty > 0) reject('INVALID_ARGS', `Scan the item to pick it: ${String(product.sku)} was not scanned`, { expected: product.sku });
  } else if (args.scannedCode !== product.barcode && args.scannedCode !== product.sku) {
    reject('WRONG_ITEM', `Scanned ${args.scannedCode}, but this line is ${String(product.sku)}`, { expected: product.sku, scanned: args.scannedCode });
  }

  const item = await tx.get('orders.order_items', String(line.order_item_id));
  const order = item ? await tx.get('orders.orders', String(item.order_id), { lock: true }) : undefined;
  if (order && ['cancelled', 'rejected'].includes(String(order.status))) reject('INVALID_STATE', `The order was ${String(order.status)}; put the goods back`);

  const pickedQty = num(line.picked_qty) + args.qty;
  await tx.update('orders.pick_lines', args.pickLineID, { picked_qty: pickedQty, status: pickedQty >= num(line.qty) ? 'picked' : 'short', updated_at: ctx.now });
  if (item) await tx.update('orders.order_items', String(item.id), { picked_qty: num(item.picked_qty) + args.qty, updated_at: ctx.now });
  // Picking starts the order's fulfilment: from now on it can no longer be cancelled.
  if (order && ['confirmed', 'backordered'].includes(String(order.status))) {
    await tx.update('orders.orders', String(order.id), { status: 'picking', version: num(order.version) + 1, updated_at: ctx.now });
  }
  if (args.qty > 0) {
    // The goods leave with what was held for this line (no more: other orders' holds stay).
    const stockItem = await lockStockItem(ctx, String(line.warehouse_id), String(line.product_id));
    const [reservation] = await tx.list('inventory.reservations', { order_item_id: String(line.order_item_id), status: 'active' }, { lock: true });
    const consumed = Math.min(args.qty, num(reservation?.qty));
    if (reservation && consumed > 0) await tx.update('inventory.reservations', String(reservation.id), { qty: num(reservation.qty) - consumed, updated_at: ctx.now });
    const stock = await applyMovement(
      ctx,
      {
        warehouseID: String(line.warehouse_id),
        productID: String(line.product_id),
        binID: (line.bin_id as string | null) ?? null,
        kind: 'pick',
        quantity: -args.qty,
        referenceType: 'pick_line',
        referenceID: args.pickLineID,
        occurredAt: args.occurredAt,
      },
      -consumed,
      stockItem,
    );
    await ctx.emit('inventory.updated', { warehouseID: line.warehouse_id, productID: line.product_id, ...stock });
  }

  const lines = await tx.list('orders.pick_lines', { pick_list_id: line.pick_list_id });
  const open = lines.filter((other) => other.id !== args.pickLineID && other.status === 'pending');
  await tx.update('orders.pick_lists', String(line.pick_list_id), {
    status: open.length === 0 ? 'completed' : 'in_progress',
    ...(open.length === 0 ? { completed_at: ctx.now } : {}),
    updated_at: ctx.now,
  });
});
