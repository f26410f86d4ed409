import type { AccessClaims } from '@niaga/protocol';
import { forbidden } from '../shared/errors.ts';
import { allRows, type Scope, type Values } from '../shared/resource.ts';

/** Each role sees the orders its token's scope claim names; a token without the claim sees none. */
export function orderReadScope(user: AccessClaims): Scope | 'deny' {
  switch (user.role) {
    case 'admin':
      return allRows;
    case 'agent':
      return user.agent_id ? { agent_id: user.agent_id } : 'deny';
    case 'customer':
      return user.customer_id ? { customer_id: user.customer_id } : 'deny';
    case 'warehouse':
      return user.warehouse_id ? { warehouse_id: user.warehouse_id } : 'deny';
  }
}

/**
 * Admins change any order. Agents and shoppers change only their own, and only the note or a
 * cancellation; pickers move orders through mutators, not here. Decided before any row is read.
 */
export function orderUpdateScope(user: AccessClaims, patch: Values): Scope | 'deny' {
  if (user.role === 'admin') return allRows;
  if (user.role !== 'agent' && user.role !== 'customer') return 'deny';
  if (patch.warehouse_id !== undefined) throw forbidden('Only admins may change the fulfilment warehouse');
  if (patch.status !== undefined && patch.status !== 'cancelled') {
    throw forbidden('You may cancel your order; other status changes are made by staff');
  }
  return orderReadScope(user);
}
