export { inventoryPlugin } from './plugin.ts';
export { findBin, findWarehouse, type BinRef, type WarehouseRef } from './warehouse-lookup.ts';
export { applyMovement, type MovementApplied, type MovementInput } from './stock-ledger.ts';
export { lockStockForOrders, releaseOrder, reserveOrder, type DomainEvent, type OrderLineToReserve, type OrderToReserve } from './reservations.ts';
