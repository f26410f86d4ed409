import type { AccessClaims } from '@niaga/protocol';
import { Type } from 'typebox';
import { allRows, type RowScope } from '../shared/resource.ts';

export const uuidFilter = (column: string) => ({ kind: 'eq', column, schema: Type.String({ format: 'uuid' }) }) as const;

/**
 * Who sees which customer-owned rows: admins all; an agent the rows of their territory; a shopper
 * the rows that are theirs. `customerColumn` is `id` on customers, `customer_id` on their children.
 */
export const customerRows =
  (customerColumn: string) =>
  (user: AccessClaims): RowScope | 'deny' => {
    if (user.role === 'admin') return allRows;
    if (user.role === 'agent' && user.territory_id) return { territory_id: user.territory_id };
    if (user.role === 'customer' && user.customer_id) return { [customerColumn]: user.customer_id };
    return 'deny';
  };

/** Rows with no territory column (wishlists): admins and the shopper they belong to. */
export const adminOrOwnCustomer = (user: AccessClaims): RowScope | 'deny' => {
  if (user.role === 'admin') return allRows;
  if (user.role === 'customer' && user.customer_id) return { customer_id: user.customer_id };
  return 'deny';
};
