/**
 * The order saga's two durable consumers (ARCHITECTURE.md §5): order.created → inventory holds
 * stock → inventory.reserved | inventory.insufficient → the order is confirmed | backordered;
 * order.cancelled → inventory releases what it held. Each step runs in the transaction that
 * records the event in events.inbox and writes its own events there too, so it happens once.
 */
import { lockStockForOrders, releaseOrder, reserveOrder, type DomainEvent, type OrderToReserve } from '@niaga/domain/inventory';
import { applyAllocation, type Allocation } from '@niaga/domain/orders';
import type { Queryable } from '@niaga/db';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { writeEvent, type EventEnvelope, type EventSystem } from './events/index.ts';

const Line = Type.Object({ lineID: Type.String(), productID: Type.String(), qty: Type.Integer({ minimum: 1 }) });
const OrderCreated = Type.Object({ orderID: Type.String(), warehouseID: Type.Union([Type.String(), Type.Null()]), lines: Type.Array(Line) });
const OrderCancelled = Type.Object({ orderID: Type.String() });
const Allocated = Type.Object({
  orderID: Type.String(),
  warehouseID: Type.Union([Type.String(), Type.Null()]),
  lines: Type.Array(Type.Object({ lineID: Type.String(), qty: Type.Integer(), allocated: Type.Integer() })),
});
// Compiled once: a batch's payloads are checked when its stock is locked and again when handled.
const orderCreated = Compile(OrderCreated);
const orderCancelled = Compile(OrderCancelled);
const allocated = Compile(Allocated);

function payloadOf<T>(event: EventEnvelope, check: (value: unknown) => boolean): T {
  // A malformed payload is a bug upstream: failing makes the consumer retry, then log and drop it.
  if (!check(event.payload)) throw new Error(`Event ${event.id} (${event.type}) has a malformed payload`);
  return event.payload as T;
}

/** Writes the step's events, carrying the device mutation that started the saga. */
async function writeAll(tx: Queryable, cause: EventEnvelope, events: readonly DomainEvent[]): Promise<void> {
  for (const event of events) {
    await writeEvent(tx, { ...event, ...(cause.clientId === undefined ? {} : { clientID: cause.clientId }), ...(cause.mutationId === undefined ? {} : { mutationID: cause.mutationId }) });
  }
}

export async function startOrderSaga(events: EventSystem): Promise<void> {
  await events.consume({
    name: 'inventory-reservations',
    types: ['order.created', 'order.cancelled'],
    // A batch of orders takes its stock rows in one fixed order before handling them one by one.
    prepare: (batch, tx) =>
      lockStockForOrders(
        tx,
        batch.filter((event) => event.type === 'order.created' && orderCreated.Check(event.payload)).map((event) => event.payload as unknown as OrderToReserve),
        batch.filter((event) => event.type === 'order.cancelled' && orderCancelled.Check(event.payload)).map((event) => (event.payload as { orderID: string }).orderID),
      ),
    handle: async (event, tx) => {
      const next =
        event.type === 'order.created'
          ? await reserveOrder(tx, payloadOf<OrderToReserve>(event, (value) => orderCreated.Check(value)))
          : await releaseOrder(tx, payloadOf<{ orderID: string }>(event, (value) => orderCancelled.Check(value)).orderID);
      await writeAll(tx, event, next);
    },
  });
  await events.consume({
    name: 'order-fulfilment',
    types: ['inventory.reserved', 'inventory.insufficient'],
    handle: async (event, tx) => {
      const allocation = payloadOf<Allocation>(event, (value) => allocated.Check(value));
      await writeAll(tx, event, await applyAllocation(tx, allocation, event.type === 'inventory.reserved'));
    },
  });
}
