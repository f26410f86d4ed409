import type { AccessClaims } from '@niaga/protocol';
import { forbidden } from '../shared/errors.ts';
import { allRows, type RowScope, type Scope } from '../shared/resource.ts';

/**
 * Who sees which inventory rows. A picker's token names one warehouse; a picker token without one
 * sees nothing (a 403, not an empty list, so the misconfigured account is noticed).
 */
export function ownWarehouse(user: AccessClaims, column = 'warehouse_id'): RowScope | 'deny' {
  return user.role === 'warehouse' && user.warehouse_id ? { [column]: user.warehouse_id } : 'deny';
}

/** Admins see every row, pickers their own warehouse's, everyone else nothing. */
export function adminOrOwnWarehouse(user: AccessClaims, column = 'warehouse_id'): Scope | 'deny' {
  return user.role === 'admin' ? allRows : ownWarehouse(user, column);
}

/** Admins act on any warehouse, pickers only on their own; authorizes before anything is read. */
export function ensureMayActIn(user: AccessClaims, warehouseID: string, what: string): void {
  if (user.role === 'admin') return;
  if (user.role === 'warehouse' && user.warehouse_id !== null && user.warehouse_id === warehouseID) return;
  throw forbidden(
    user.role === 'warehouse' ? `You may ${what} only in your own warehouse` : `Your role (${user.role}) may not ${what}`,
  );
}
