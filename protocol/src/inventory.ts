import { Type, type Static, type TSchema } from 'typebox';
import { Timestamp, Uuid } from './common.ts';

const NullableUuid = Type.Union([Uuid, Type.Null()]);
const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
const WarehouseCode = Type.String({ pattern: '^[A-Z0-9-]{2,16}$', examples: ['WH-JKT'] });
const TimeZone = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$', maxLength: 64, examples: ['Asia/Jakarta'] });
const BinCode = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]*$', maxLength: 32, examples: ['A-01-03'] });
const Quantity = Type.Integer({ minimum: 1, maximum: 1_000_000 });
/** A stock level or reorder point; kept well inside Postgres integer range. */
const Level = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });

export const Warehouse = Type.Object({
  id: Uuid,
  code: Type.String(),
  name: Type.String(),
  address: Type.String(),
  timezone: Type.String(),
  active: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Warehouse = Static<typeof Warehouse>;

export const CreateWarehouseBody = Type.Object(
  {
    id: Type.Optional(Uuid),
    code: WarehouseCode,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    address: Type.Optional(Type.String({ maxLength: 1000 })),
    timezone: Type.Optional(TimeZone),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type CreateWarehouseBody = Static<typeof CreateWarehouseBody>;

export const PatchWarehouseBody = Type.Object(
  {
    code: Type.Optional(WarehouseCode),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    address: Type.Optional(Type.String({ maxLength: 1000 })),
    timezone: Type.Optional(TimeZone),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchWarehouseBody = Static<typeof PatchWarehouseBody>;

export const Bin = Type.Object({
  id: Uuid,
  warehouseId: Uuid,
  code: Type.String(),
  zone: Type.String(),
  sortOrder: Type.Integer({ description: 'The walking order pick lists follow' }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Bin = Static<typeof Bin>;

export const CreateBinBody = Type.Object(
  {
    id: Type.Optional(Uuid),
    warehouseId: Uuid,
    code: BinCode,
    zone: Type.Optional(Type.String({ maxLength: 50 })),
    sortOrder: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);
export type CreateBinBody = Static<typeof CreateBinBody>;

/** A bin never moves to another warehouse: stock rows point at it. */
export const PatchBinBody = Type.Object(
  {
    code: Type.Optional(BinCode),
    zone: Type.Optional(Type.String({ maxLength: 50 })),
    sortOrder: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchBinBody = Static<typeof PatchBinBody>;

/** A warehouse's working numbers: left out for agents, who see availability only, as in their shapes (`shapes/rules.ts`). */
const workingNumber = <T extends TSchema>(schema: T) => Type.Optional(schema);

export const StockItem = Type.Object({
  id: Uuid,
  warehouseId: Uuid,
  productId: Uuid,
  binId: workingNumber(NullableUuid),
  onHand: workingNumber(Type.Integer()),
  reserved: workingNumber(Type.Integer()),
  available: Type.Integer({ description: 'onHand - reserved' }),
  reorderPoint: workingNumber(Type.Integer()),
  version: workingNumber(Type.Integer()),
  lastCountedAt: workingNumber(NullableTimestamp),
  createdAt: workingNumber(Timestamp),
  updatedAt: Timestamp,
});
export type StockItem = Static<typeof StockItem>;

/** Starts a warehouse × product row at zero; quantities change only through movements. */
export const CreateStockItemBody = Type.Object(
  {
    id: Type.Optional(Uuid),
    warehouseId: Uuid,
    productId: Uuid,
    binId: Type.Optional(NullableUuid),
    reorderPoint: Type.Optional(Level),
  },
  { additionalProperties: false },
);
export type CreateStockItemBody = Static<typeof CreateStockItemBody>;

export const PatchStockItemBody = Type.Object(
  {
    binId: Type.Optional(NullableUuid),
    reorderPoint: Type.Optional(Level),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchStockItemBody = Static<typeof PatchStockItemBody>;

export const MovementKind = Type.Union([
  Type.Literal('receipt'),
  Type.Literal('pick'),
  Type.Literal('adjustment'),
  Type.Literal('count'),
  Type.Literal('transfer_out'),
  Type.Literal('transfer_in'),
]);
export type MovementKind = Static<typeof MovementKind>;

export const Movement = Type.Object({
  id: Uuid,
  warehouseId: Uuid,
  productId: Uuid,
  binId: NullableUuid,
  kind: MovementKind,
  quantity: Type.Integer({ description: 'The signed change to on hand' }),
  affectsOnHand: Type.Boolean(),
  reason: Type.String(),
  referenceType: Type.Union([Type.String(), Type.Null()]),
  referenceId: NullableUuid,
  occurredAt: Timestamp,
  recordedAt: Timestamp,
  userId: NullableUuid,
  clientId: Type.Union([Type.String(), Type.Null()]),
  mutationId: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Movement = Static<typeof Movement>;

/** A receipt or manual adjustment; picks, counts and transfers are recorded by their own flows. */
export const RecordMovementBody = Type.Object(
  {
    id: Type.Optional(Uuid),
    warehouseId: Uuid,
    productId: Uuid,
    binId: Type.Optional(NullableUuid),
    kind: Type.Union([Type.Literal('receipt'), Type.Literal('adjustment')]),
    quantity: Type.Integer({ minimum: -1_000_000, maximum: 1_000_000, description: 'Signed, never 0; receipts are positive' }),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
    occurredAt: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);
export type RecordMovementBody = Static<typeof RecordMovementBody>;

export const MovementRecorded = Type.Object({ movement: Movement, stockItem: StockItem });
export type MovementRecorded = Static<typeof MovementRecorded>;

export const TransferStatus = Type.Union([
  Type.Literal('draft'),
  Type.Literal('shipped'),
  Type.Literal('received'),
  Type.Literal('discrepancy'),
  Type.Literal('cancelled'),
]);
export type TransferStatus = Static<typeof TransferStatus>;

export const Transfer = Type.Object({
  id: Uuid,
  fromWarehouseId: Uuid,
  toWarehouseId: Uuid,
  status: TransferStatus,
  note: Type.String(),
  createdBy: NullableUuid,
  shippedAt: NullableTimestamp,
  receivedAt: NullableTimestamp,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Transfer = Static<typeof Transfer>;

export const TransferLine = Type.Object({
  id: Uuid,
  transferId: Uuid,
  fromWarehouseId: Uuid,
  toWarehouseId: Uuid,
  productId: Uuid,
  quantity: Type.Integer(),
  shippedQty: Type.Integer(),
  receivedQty: Type.Integer(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type TransferLine = Static<typeof TransferLine>;

export const TransferDetail = Type.Object({ ...Transfer.properties, lines: Type.Array(TransferLine) });
export type TransferDetail = Static<typeof TransferDetail>;

export const CreateTransferBody = Type.Object(
  {
    id: Type.Optional(Uuid),
    fromWarehouseId: Uuid,
    toWarehouseId: Uuid,
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    lines: Type.Array(
      Type.Object({ id: Type.Optional(Uuid), productId: Uuid, quantity: Quantity }, { additionalProperties: false }),
      { minItems: 1, maxItems: 200 },
    ),
  },
  { additionalProperties: false },
);
export type CreateTransferBody = Static<typeof CreateTransferBody>;

/** Only a draft changes here; shipping and receiving are mutators. */
export const PatchTransferBody = Type.Object(
  {
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    status: Type.Optional(Type.Literal('cancelled')),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchTransferBody = Static<typeof PatchTransferBody>;
