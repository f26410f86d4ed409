import { Type, type Static } from 'typebox';
import { MoneyMinor, Timestamp, timestampOf, Uuid } from './common.ts';

const NullableUuid = Type.Union([Uuid, Type.Null()]);
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);

export const OrderStatus = Type.Union([
  Type.Literal('draft'),
  Type.Literal('placed'),
  Type.Literal('adjusted'),
  Type.Literal('confirmed'),
  Type.Literal('backordered'),
  Type.Literal('picking'),
  Type.Literal('shipped'),
  Type.Literal('delivered'),
  Type.Literal('cancelled'),
  Type.Literal('rejected'),
]);
export type OrderStatus = Static<typeof OrderStatus>;

export const OrderSource = Type.Union([Type.Literal('agent'), Type.Literal('storefront'), Type.Literal('admin')]);
export type OrderSource = Static<typeof OrderSource>;

export const Order = Type.Object({
  id: Uuid,
  number: Type.String({ examples: ['SO-000042'] }),
  status: OrderStatus,
  source: OrderSource,
  customerId: Uuid,
  agentId: NullableUuid,
  territoryId: NullableUuid,
  warehouseId: Type.Union([Uuid, Type.Null()], { description: 'Fulfilment warehouse' }),
  currency: Type.String(),
  subtotalMinor: MoneyMinor,
  taxMinor: MoneyMinor,
  totalMinor: MoneyMinor,
  note: Type.String(),
  statusReason: Type.String(),
  occurredAt: timestampOf('When the device placed it'),
  placedAt: Type.String({ format: 'date-time', description: 'When the server accepted it' }),
  cancelledAt: NullableTimestamp,
  createdBy: NullableUuid,
  version: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Order = Static<typeof Order>;

export const OrderItem = Type.Object({
  id: Uuid,
  orderId: Uuid,
  customerId: Uuid,
  agentId: NullableUuid,
  warehouseId: NullableUuid,
  productId: Uuid,
  variantId: NullableUuid,
  sku: Type.String(),
  name: Type.String(),
  qty: Type.Integer(),
  unitPriceMinor: MoneyMinor,
  lineTotalMinor: MoneyMinor,
  allocatedQty: Type.Integer(),
  pickedQty: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type OrderItem = Static<typeof OrderItem>;

export const OrderDetail = Type.Object({ ...Order.properties, items: Type.Array(OrderItem) });
export type OrderDetail = Static<typeof OrderDetail>;

export const MAX_ORDER_ITEMS = 200;
export const MAX_ITEM_QTY = 100_000;

export const CreateOrderItemBody = Type.Object(
  {
    id: Type.Optional(Uuid),
    productId: Uuid,
    qty: Type.Integer({ minimum: 1, maximum: MAX_ITEM_QTY }),
    unitPriceMinor: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description: 'Admins only; others get the catalogue price' })),
  },
  { additionalProperties: false },
);
export type CreateOrderItemBody = Static<typeof CreateOrderItemBody>;

/** Prices, names and totals come from the server; the customer's currency is the order's. */
export const CreateOrderBody = Type.Object(
  {
    id: Type.Optional(Uuid),
    customerId: Uuid,
    warehouseId: Type.Optional(Uuid),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    occurredAt: Type.Optional(timestampOf('When the device placed it; default now')),
    items: Type.Array(CreateOrderItemBody, { minItems: 1, maxItems: MAX_ORDER_ITEMS }),
  },
  { additionalProperties: false },
);
export type CreateOrderBody = Static<typeof CreateOrderBody>;

/** Admins: status (along the transition table), warehouse, note. Agents and shoppers: note, or cancel. */
export const PatchOrderBody = Type.Object(
  {
    status: Type.Optional(OrderStatus),
    statusReason: Type.Optional(Type.String({ maxLength: 500, description: 'Only with status' })),
    warehouseId: Type.Optional(NullableUuid),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchOrderBody = Static<typeof PatchOrderBody>;

export const PickListStatus = Type.Union([Type.Literal('open'), Type.Literal('in_progress'), Type.Literal('completed'), Type.Literal('cancelled')]);
export type PickListStatus = Static<typeof PickListStatus>;

export const PickList = Type.Object({
  id: Uuid,
  orderId: Uuid,
  warehouseId: Uuid,
  status: PickListStatus,
  assignedTo: NullableUuid,
  completedAt: NullableTimestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type PickList = Static<typeof PickList>;

export const PickLine = Type.Object({
  id: Uuid,
  pickListId: Uuid,
  orderItemId: Uuid,
  warehouseId: Uuid,
  productId: Uuid,
  binId: NullableUuid,
  binCode: Type.String(),
  binSortOrder: Type.Integer(),
  qty: Type.Integer(),
  pickedQty: Type.Integer(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('picked'), Type.Literal('short')]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type PickLine = Static<typeof PickLine>;

/** Lines come in walking order (bin sort order). */
export const PickListDetail = Type.Object({ ...PickList.properties, lines: Type.Array(PickLine) });
export type PickListDetail = Static<typeof PickListDetail>;
