import type { DemoTables } from './demo-tables.ts';
import { addMovement, type DemoStock, type DemoWarehouse } from './generate-inventory.ts';
import { Random } from './random.ts';
import { BASE_MS, DAY, HOUR, iso } from './time.ts';

type TransferStatus = 'draft' | 'shipped' | 'received';

/**
 * Three rebalancing transfers between neighbouring warehouses: one received last week, one
 * shipped yesterday and still on the road, one draft for today. Only products stocked at both ends.
 */
export function generateTransfers(tables: DemoTables, seed: number, warehouses: DemoWarehouse[], adminUserID: string): void {
  if (warehouses.length < 2) return;
  const random = new Random(seed, 'transfers');
  const at = (index: number) => warehouses[index % warehouses.length]!;
  const plans: { from: DemoWarehouse; to: DemoWarehouse; status: TransferStatus; createdMs: number; note: string }[] = [
    { from: at(2), to: at(0), status: 'received', createdMs: BASE_MS - 9 * DAY + 8 * HOUR, note: 'Rebalance fast movers to Jakarta' },
    { from: at(0), to: at(1), status: 'shipped', createdMs: BASE_MS - 2 * DAY + 9 * HOUR, note: 'Cooking oil and rice for the Surabaya promotion' },
    { from: at(1), to: at(2), status: 'draft', createdMs: BASE_MS - 10 * HOUR, note: 'Top up snacks' },
  ];
  for (const plan of plans) {
    if (plan.from === plan.to) continue;
    const id = random.uuid();
    const shippedMs = plan.status === 'draft' ? null : plan.createdMs + 3 * HOUR;
    const receivedMs = plan.status === 'received' ? plan.createdMs + 2 * DAY : null;
    const destination = new Map(plan.to.stock.map((stock) => [stock.product.id, stock]));
    const pairs: [DemoStock, DemoStock][] = [];
    const wanted = random.int(3, 6);
    for (const source of random.sample(plan.from.active, 40)) {
      const target = destination.get(source.product.id);
      // A received quantity must not exceed today's on_hand at the destination, or its opening would go negative.
      if (target !== undefined && source.onHand > 0 && (plan.status !== 'received' || target.onHand >= 6)) pairs.push([source, target]);
      if (pairs.length === wanted) break;
    }
    const updatedMs = receivedMs ?? shippedMs ?? plan.createdMs;
    tables.transfers.add({
      id, from_warehouse_id: plan.from.id, to_warehouse_id: plan.to.id, status: plan.status, note: plan.note, created_by: adminUserID,
      shipped_at: shippedMs === null ? null : iso(shippedMs), received_at: receivedMs === null ? null : iso(receivedMs),
      created_at: iso(plan.createdMs), updated_at: iso(updatedMs),
    });
    for (const [source, target] of pairs) {
      const quantity = plan.status === 'received' ? random.int(1, Math.min(24, target.onHand)) : random.int(6, 48);
      tables.transferLines.add({
        id: random.uuid(), transfer_id: id, from_warehouse_id: plan.from.id, to_warehouse_id: plan.to.id, product_id: source.product.id,
        quantity, shipped_qty: shippedMs === null ? 0 : quantity, received_qty: receivedMs === null ? 0 : quantity,
        created_at: iso(plan.createdMs), updated_at: iso(updatedMs),
      });
      if (shippedMs !== null) {
        addMovement(tables, random, source, {
          kind: 'transfer_out', quantity: -quantity, reason: `Transfer to ${plan.to.code}`, referenceType: 'transfer', referenceID: id, atMs: shippedMs, userID: adminUserID,
        });
      }
      if (receivedMs !== null) {
        addMovement(tables, random, target, {
          kind: 'transfer_in', quantity, reason: `Transfer from ${plan.from.code}`, referenceType: 'transfer', referenceID: id, atMs: receivedMs, userID: adminUserID,
        });
      }
    }
  }
}
