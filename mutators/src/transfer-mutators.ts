/**
 * Transfers between warehouses. Ship and receive commute: each may arrive first (from two
 * offline devices), and the transfer ends in the same state either way. A received quantity other
 * than the shipped one is a discrepancy, recorded on the line and the transfer.
 */
import { Timestamp, Uuid } from '@niaga/protocol';
import { Type, type Static } from 'typebox';
import { defineMutator, type MutatorContext } from './define-mutator.ts';
import { distinct, num, requireRow, requireWarehouseAccess, worksIn } from './guards.ts';
import type { Row } from './mutation-tx.ts';
import { applyMovement } from './stock-item.ts';
import { reject } from './outcome.ts';

const Qty = Type.Integer({ minimum: 0, maximum: 10_000_000 });

export const createTransferArgs = Type.Object(
  {
    transferID: Uuid,
    fromWarehouseID: Uuid,
    toWarehouseID: Uuid,
    lines: Type.Array(Type.Object({ lineID: Uuid, productID: Uuid, qty: Type.Integer({ minimum: 1, maximum: 10_000_000 }) }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: 500,
    }),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const createTransfer = defineMutator('transfer.create', createTransferArgs, async (ctx, args) => {
  requireWarehouseAccess(ctx.actor, args.fromWarehouseID);
  if (args.fromWarehouseID === args.toWarehouseID) reject('INVALID_ARGS', 'A transfer goes between two different warehouses');
  distinct(args.lines, (line) => line.productID, 'productID');
  distinct(args.lines, (line) => line.lineID, 'lineID');
  if (await ctx.tx.get('inventory.transfers', args.transferID)) reject('INVALID_STATE', `Transfer ${args.transferID} exists already`);
  await requireRow(ctx.tx, 'inventory.warehouses', args.toWarehouseID, 'Warehouse');
  for (const line of args.lines) await requireRow(ctx.tx, 'catalog.products', line.productID, 'Product');
  const scope = { from_warehouse_id: args.fromWarehouseID, to_warehouse_id: args.toWarehouseID };
  await ctx.tx.insert('inventory.transfers', {
    id: args.transferID,
    ...scope,
    status: 'draft',
    note: args.note ?? '',
    created_by: ctx.actor.sub,
    shipped_at: null,
    received_at: null,
    created_at: ctx.now,
    updated_at: ctx.now,
  });
  for (const line of args.lines) {
    await ctx.tx.insert('inventory.transfer_lines', {
      id: line.lineID,
      transfer_id: args.transferID,
      ...scope,
      product_id: line.productID,
      quantity: line.qty,
      shipped_qty: 0,
      received_qty: 0,
      created_at: ctx.now,
      updated_at: ctx.now,
    });
  }
  await ctx.emit('transfer.created', {
    transferID: args.transferID,
    fromWarehouseID: args.fromWarehouseID,
    toWarehouseID: args.toWarehouseID,
    lines: args.lines.map((line) => ({ productID: line.productID, qty: line.qty })),
  });
});

const moveArgs = Type.Object(
  {
    transferID: Uuid,
    lines: Type.Array(Type.Object({ productID: Uuid, qty: Qty }, { additionalProperties: false }), { minItems: 1, maxItems: 500 }),
    occurredAt: Timestamp,
  },
  { additionalProperties: false },
);

/** The transfer's status from what is known of both ends, whatever order they arrived in. */
export function transferStatus(transfer: { shipped: boolean; received: boolean }, lines: readonly Row[]): string {
  if (!transfer.received) return transfer.shipped ? 'shipped' : 'draft';
  if (!transfer.shipped) return 'received';
  return lines.every((line) => num(line.shipped_qty) === num(line.received_qty)) ? 'received' : 'discrepancy';
}

async function moveTransfer(ctx: MutatorContext, args: Static<typeof moveArgs>, end: 'ship' | 'receive'): Promise<void> {
  // Locked: the other end may be recorded by another device at the same moment.
  const transfer = await ctx.tx.get('inventory.transfers', args.transferID, { lock: true });
  const warehouseID = end === 'ship' ? transfer?.from_warehouse_id : transfer?.to_warehouse_id;
  // Outside the actor's warehouse is the same answer as missing: a refusal must not reveal it exists.
  if (!transfer || !worksIn(ctx.actor, warehouseID)) return reject('NOT_FOUND', `Transfer ${args.transferID} does not exist`);
  if (transfer.status === 'cancelled') reject('INVALID_STATE', 'The transfer was cancelled');
  const doneAt = end === 'ship' ? 'shipped_at' : 'received_at';
  if (transfer[doneAt]) reject('INVALID_STATE', `The transfer was already ${end === 'ship' ? 'shipped' : 'received'}`);
  distinct(args.lines, (line) => line.productID, 'productID');

  const lines = await ctx.tx.list('inventory.transfer_lines', { transfer_id: args.transferID });
  const column = end === 'ship' ? 'shipped_qty' : 'received_qty';
  const updated = new Map(lines.map((line) => [String(line.product_id), line]));
  // In product order, so two transfers moving the same products lock their stock in the same order.
  for (const moved of [...args.lines].sort((a, b) => a.productID.localeCompare(b.productID))) {
    const line = updated.get(moved.productID) ?? reject('INVALID_ARGS', `Product ${moved.productID} is not on transfer ${args.transferID}`);
    await ctx.tx.update('inventory.transfer_lines', String(line.id), { [column]: moved.qty, updated_at: ctx.now });
    updated.set(moved.productID, { ...line, [column]: moved.qty });
    if (moved.qty === 0) continue;
    const sign = end === 'ship' ? -1 : 1;
    await applyMovement(ctx, {
      warehouseID: String(warehouseID),
      productID: moved.productID,
      kind: end === 'ship' ? 'transfer_out' : 'transfer_in',
      quantity: sign * moved.qty,
      referenceType: 'transfer',
      referenceID: args.transferID,
      occurredAt: args.occurredAt,
    });
  }
  const shipped = end === 'ship' || Boolean(transfer.shipped_at);
  const received = end === 'receive' || Boolean(transfer.received_at);
  await ctx.tx.update('inventory.transfers', args.transferID, {
    [doneAt]: args.occurredAt,
    status: transferStatus({ shipped, received }, [...updated.values()]),
    updated_at: ctx.now,
  });
  await ctx.emit(end === 'ship' ? 'transfer.shipped' : 'transfer.received', {
    transferID: args.transferID,
    warehouseID,
    lines: args.lines,
  });
}

export const shipTransfer = defineMutator('transfer.ship', moveArgs, (ctx, args) => moveTransfer(ctx, args, 'ship'));
export const receiveTransfer = defineMutator('transfer.receive', moveArgs, (ctx, args) => moveTransfer(ctx, args, 'receive'));
