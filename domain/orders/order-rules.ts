/**
 * The order rules that need no database: the status transition table, who may change what in
 * which status, and pricing. Inputs in, values or typed errors out.
 */
import type { CreateOrderItemBody, OrderSource, OrderStatus, Role } from '@niaga/protocol';
import type { ProductForSale } from '../catalog/product-lookup.ts';
import { DomainError } from '../shared/errors.ts';
import type { Values } from '../shared/resource.ts';

/** Where an admin may move an order from each status; anything else is a 409. */
export const adminTransitions: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  draft: ['placed', 'cancelled'],
  placed: ['confirmed', 'backordered', 'cancelled', 'rejected'],
  adjusted: ['confirmed', 'backordered', 'cancelled', 'rejected'],
  confirmed: ['picking', 'cancelled'],
  backordered: ['confirmed', 'cancelled'],
  picking: ['shipped'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
  rejected: [],
};

/** An agent or shopper may cancel their own order until picking starts. */
export const ownerCancellable: readonly OrderStatus[] = ['placed', 'confirmed', 'backordered'];
/** An agent or shopper may change the note only before anyone has acted on the order. */
export const ownerNoteEditable: readonly OrderStatus[] = ['placed'];
/** The fulfilment warehouse can change until picking starts. */
export const warehouseChangeable: readonly OrderStatus[] = ['draft', 'placed', 'adjusted', 'confirmed', 'backordered'];

export const sourceFor = (role: Role): OrderSource => (role === 'agent' ? 'agent' : role === 'customer' ? 'storefront' : 'admin');

export interface BodyProblem {
  in: 'body';
  path: string;
  message: string;
  productId?: string;
}

export interface PricedLine {
  id?: string;
  productID: string;
  sku: string;
  name: string;
  qty: number;
  unitPriceMinor: number;
  lineTotalMinor: number;
}

export interface PricedOrder {
  lines: PricedLine[];
  subtotalMinor: number;
  taxMinor: number;
  totalMinor: number;
}

const problemList = (problems: BodyProblem[]) => problems.map((problem) => `${problem.path} ${problem.message}`).join('; ');

/** Item ids sent by a device must be distinct within the order. */
export function duplicateItemIDs(items: readonly CreateOrderItemBody[]): BodyProblem[] {
  const seen = new Set<string>();
  const problems: BodyProblem[] = [];
  items.forEach((item, index) => {
    if (item.id === undefined) return;
    if (seen.has(item.id)) problems.push({ in: 'body', path: `/items/${index}/id`, message: 'appears on an earlier item' });
    seen.add(item.id);
  });
  return problems;
}

/**
 * Prices every item from the catalogue (an admin's unitPriceMinor wins) in the customer's currency.
 * Unknown products are REFERENCE_NOT_FOUND; products off sale or in another currency VALIDATION_FAILED.
 * Tax is not modelled yet, so it is zero.
 */
export function priceOrder(items: readonly CreateOrderItemBody[], products: ReadonlyMap<string, ProductForSale>, currency: string): PricedOrder {
  const missing: BodyProblem[] = [];
  const invalid: BodyProblem[] = [];
  const lines: PricedLine[] = [];
  for (const [index, item] of items.entries()) {
    const path = `/items/${index}/productId`;
    const product = products.get(item.productId);
    if (!product) {
      missing.push({ in: 'body', path, message: 'is not a product', productId: item.productId });
    } else if (!product.active) {
      invalid.push({ in: 'body', path, message: 'is not on sale', productId: item.productId });
    } else if (product.currency !== currency) {
      invalid.push({ in: 'body', path, message: `is priced in ${product.currency}; the customer pays in ${currency}`, productId: item.productId });
    } else {
      const unitPriceMinor = item.unitPriceMinor ?? product.price_minor;
      lines.push({
        ...(item.id === undefined ? {} : { id: item.id }),
        productID: product.id,
        sku: product.sku,
        name: product.name,
        qty: item.qty,
        unitPriceMinor,
        lineTotalMinor: unitPriceMinor * item.qty,
      });
    }
  }
  if (missing.length > 0) throw new DomainError('REFERENCE_NOT_FOUND', `Unknown products: ${problemList(missing)}`, missing);
  if (invalid.length > 0) throw new DomainError('VALIDATION_FAILED', `Invalid items: ${problemList(invalid)}`, invalid);
  const subtotalMinor = lines.reduce((sum, line) => sum + line.lineTotalMinor, 0);
  if (!Number.isSafeInteger(subtotalMinor)) {
    throw new DomainError('VALIDATION_FAILED', 'The order total is too large', [{ in: 'body', path: '/items', message: 'total exceeds the largest amount' }]);
  }
  const taxMinor = 0;
  return { lines, subtotalMinor, taxMinor, totalMinor: subtotalMinor + taxMinor };
}

export interface OrderState {
  status: OrderStatus;
  version: number;
}

/**
 * Checks a PATCH (snake_case values) against the order's status and turns it into the row change:
 * a status change records its reason (and cancelled_at on cancel), and every change bumps version.
 * Which fields a role may send at all is checked before the row is read (see order-access.ts).
 */
export function planOrderPatch(role: Role, before: OrderState, patch: Values, now: Date): Values {
  const status = patch.status as OrderStatus | undefined;
  if (patch.status_reason !== undefined && status === undefined) {
    throw new DomainError('VALIDATION_FAILED', 'Invalid body: /statusReason only goes with status', [
      { in: 'body', path: '/statusReason', message: 'only goes with status' },
    ]);
  }
  const refuse = (message: string, details: Values) => new DomainError('INVALID_STATE', message, { status: before.status, ...details });
  if (role === 'admin') {
    const allowed = adminTransitions[before.status];
    if (status !== undefined && !allowed.includes(status)) {
      throw refuse(`An order that is ${before.status} cannot become ${status}`, { to: status, allowed });
    }
    if (patch.warehouse_id !== undefined && !warehouseChangeable.includes(before.status)) {
      throw refuse(`The warehouse of an order that is ${before.status} can no longer change`, {});
    }
  } else {
    if (status !== undefined && !ownerCancellable.includes(before.status)) {
      throw refuse(`An order that is ${before.status} can no longer be cancelled`, { to: status, allowed: ownerCancellable });
    }
    if (patch.note !== undefined && !ownerNoteEditable.includes(before.status)) {
      throw refuse(`The note of an order that is ${before.status} can no longer change`, {});
    }
  }
  const change: Values = { ...patch, version: before.version + 1 };
  if (status !== undefined) {
    change.status_reason = patch.status_reason ?? '';
    if (status === 'cancelled') change.cancelled_at = now;
  }
  return change;
}
