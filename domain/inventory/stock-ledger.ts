import type { Queryable } from '@niaga/db';
import { Movement, StockItem, type MovementKind } from '@niaga/protocol';
import { toSnake } from '../shared/case.ts';
import { DomainError } from '../shared/errors.ts';
import type { Values } from '../shared/resource.ts';
import { ident } from '../shared/sql.ts';

export interface MovementInput {
  /** Device-generated for offline writes; a replay fails on the primary key and changes nothing. */
  id?: string;
  warehouseID: string;
  productID: string;
  binID: string | null;
  kind: MovementKind;
  /** The signed change to on hand. */
  quantity: number;
  reason: string;
  occurredAt?: string;
  userID: string | null;
  referenceType?: string;
  referenceID?: string;
}

export interface MovementApplied {
  movement: Values;
  stockItem: Values;
}

const movementColumns = Object.keys(Movement.properties).map(toSnake).map(ident).join(', ');
const stockColumns = Object.keys(StockItem.properties).map(toSnake).map(ident).join(', ');

/**
 * Writes a ledger row and moves the stock row's on hand by the same amount; call it inside a
 * transaction so both land or neither does. The stock row is created at zero if missing and then
 * locked, so concurrent movements of one product serialize. On hand never goes below zero.
 */
export async function applyMovement(tx: Queryable, input: MovementInput): Promise<MovementApplied> {
  // Inserted first so that a replayed movement fails as a duplicate before any stock is touched.
  const inserted = await tx.query<Values>(
    `insert into inventory.movements
       (id, warehouse_id, product_id, bin_id, kind, quantity, reason, occurred_at, user_id, reference_type, reference_id)
     values (coalesce($1::uuid, gen_random_uuid()), $2, $3, $4, $5, $6, $7, coalesce($8::timestamptz, now()), $9, $10, $11)
     returning ${movementColumns}`,
    [
      input.id ?? null,
      input.warehouseID,
      input.productID,
      input.binID,
      input.kind,
      input.quantity,
      input.reason,
      input.occurredAt ?? null,
      input.userID,
      input.referenceType ?? null,
      input.referenceID ?? null,
    ],
  );
  const movement = inserted.rows[0]!;

  await tx.query(
    `insert into inventory.stock_items (warehouse_id, product_id, bin_id) values ($1, $2, $3)
     on conflict (warehouse_id, product_id) do nothing`,
    [input.warehouseID, input.productID, input.binID],
  );
  const locked = await tx.query<{ id: string; on_hand: number }>(
    'select id, on_hand from inventory.stock_items where warehouse_id = $1 and product_id = $2 for update',
    [input.warehouseID, input.productID],
  );
  const stock = locked.rows[0]!;
  // The count rule (as the mutators apply it): a movement that occurred before the latest applied
  // count is in the ledger, but on hand already reflects it.
  const { rows: counted } = await tx.query<{ seen: boolean }>(
    `select exists (select 1 from inventory.count_lines
                     where warehouse_id = $1 and product_id = $2 and status in ('applied', 'approved') and occurred_at >= $3) as seen`,
    [input.warehouseID, input.productID, movement.occurred_at],
  );
  if (counted[0]!.seen) {
    const marked = await tx.query<Values>(`update inventory.movements set affects_on_hand = false where id = $1 returning ${movementColumns}`, [movement.id]);
    const current = await tx.query<Values>(`select ${stockColumns} from inventory.stock_items where id = $1`, [stock.id]);
    return { movement: marked.rows[0]!, stockItem: current.rows[0]! };
  }
  if (stock.on_hand + input.quantity < 0) {
    throw new DomainError('INVALID_STATE', `Only ${stock.on_hand} on hand; a change of ${input.quantity} would go below zero`, {
      stockItemId: stock.id,
      onHand: stock.on_hand,
      quantity: input.quantity,
    });
  }
  const updated = await tx.query<Values>(
    `update inventory.stock_items set on_hand = on_hand + $2, bin_id = coalesce(bin_id, $3)
     where id = $1 returning ${stockColumns}`,
    [stock.id, input.quantity, input.binID],
  );
  return { movement, stockItem: updated.rows[0]! };
}
