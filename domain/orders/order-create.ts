import type { Queryable } from '@niaga/db';
import type { AccessClaims, CreateOrderBody } from '@niaga/protocol';
import { findProductsForSale } from '../catalog/product-lookup.ts';
import { findCustomerScope, type CustomerScope } from '../customers/customer-lookup.ts';
import { findWarehouse } from '../inventory/warehouse-lookup.ts';
import { DomainError, forbidden } from '../shared/errors.ts';
import { writeEvent } from '../shared/outbox.ts';
import { Params } from '../shared/sql.ts';
import { duplicateItemIDs, priceOrder, sourceFor, type PricedOrder } from './order-rules.ts';

/** Role rules that need only the token and the body, checked before anything is read. */
export function authorizeOrderCreate(user: AccessClaims, body: CreateOrderBody): void {
  switch (user.role) {
    case 'warehouse':
      throw forbidden('Pickers do not place orders');
    case 'customer':
      if (!user.customer_id || user.customer_id !== body.customerId) throw forbidden('You may place orders only for yourself');
      break;
    case 'agent':
      if (!user.agent_id || !user.territory_id) throw forbidden('Your agent account has no agent or territory; ask an admin');
      break;
    case 'admin':
      break;
  }
  if (user.role !== 'admin' && body.items.some((item) => item.unitPriceMinor !== undefined)) {
    throw forbidden('Only admins may set unitPriceMinor; prices come from the catalogue');
  }
}

async function loadCustomer(tx: Queryable, user: AccessClaims, customerID: string): Promise<CustomerScope> {
  const customer = await findCustomerScope(tx, customerID);
  if (!customer) {
    throw new DomainError('REFERENCE_NOT_FOUND', `Customer ${customerID} does not exist`, [
      { in: 'body', path: '/customerId', message: 'is not a customer', customerId: customerID },
    ]);
  }
  if (user.role === 'agent' && customer.territory_id !== user.territory_id) throw forbidden('This customer is outside your territory');
  if (!customer.active) {
    throw new DomainError('VALIDATION_FAILED', 'Invalid body: /customerId is not an active customer', [
      { in: 'body', path: '/customerId', message: 'is not an active customer' },
    ]);
  }
  return customer;
}

async function checkWarehouse(tx: Queryable, warehouseID: string): Promise<void> {
  const warehouse = await findWarehouse(tx, warehouseID);
  if (!warehouse) {
    throw new DomainError('REFERENCE_NOT_FOUND', `Warehouse ${warehouseID} does not exist`, [
      { in: 'body', path: '/warehouseId', message: 'is not a warehouse', warehouseId: warehouseID },
    ]);
  }
  if (!warehouse.active) {
    throw new DomainError('VALIDATION_FAILED', 'Invalid body: /warehouseId is not an active warehouse', [
      { in: 'body', path: '/warehouseId', message: 'is not an active warehouse' },
    ]);
  }
}

interface OrderScope {
  customerID: string;
  agentID: string | null;
  warehouseID: string | null;
}

async function insertItems(tx: Queryable, orderID: string, scope: OrderScope, priced: PricedOrder): Promise<void> {
  const params = new Params();
  const tuples = priced.lines.map((line, index) => {
    const [id, ...rest] = [
      line.id ?? null,
      orderID,
      scope.customerID,
      scope.agentID,
      scope.warehouseID,
      line.productID,
      line.sku,
      line.name,
      line.qty,
      line.unitPriceMinor,
      line.lineTotalMinor,
    ].map((value) => params.add(value));
    // One microsecond per line keeps the items in the order they were sent (there is no line number column).
    return `(coalesce(${id}::uuid, gen_random_uuid()), ${rest.join(', ')}, now() + ${index} * interval '1 microsecond')`;
  });
  await tx.query(
    `insert into orders.order_items
       (id, order_id, customer_id, agent_id, warehouse_id, product_id, sku, name, qty, unit_price_minor, line_total_minor, created_at)
     values ${tuples.join(', ')}`,
    params.values,
  );
}

/**
 * Places an order in `tx`: checks the customer (and an agent's territory), prices the items from
 * the catalogue in the customer's currency, and writes the order with its items, the scope
 * columns copied onto each item. Returns the order id. A replayed id fails on the primary key.
 */
export async function createOrder(tx: Queryable, user: AccessClaims, body: CreateOrderBody): Promise<string> {
  authorizeOrderCreate(user, body);
  const duplicates = duplicateItemIDs(body.items);
  if (duplicates.length > 0) throw new DomainError('VALIDATION_FAILED', 'Invalid body: item ids must be distinct', duplicates);

  const customer = await loadCustomer(tx, user, body.customerId);
  if (body.warehouseId !== undefined) await checkWarehouse(tx, body.warehouseId);
  const products = await findProductsForSale(tx, body.items.map((item) => item.productId));
  const priced = priceOrder(body.items, products, customer.currency);

  const scope: OrderScope = {
    customerID: customer.id,
    agentID: user.role === 'agent' ? user.agent_id : null,
    warehouseID: body.warehouseId ?? null,
  };
  const territoryID = user.role === 'agent' ? user.territory_id : customer.territory_id;
  const { rows } = await tx.query<{ id: string }>(
    `insert into orders.orders
       (id, status, source, customer_id, agent_id, territory_id, warehouse_id, currency,
        subtotal_minor, tax_minor, total_minor, note, occurred_at, created_by)
     values (coalesce($1::uuid, gen_random_uuid()), 'placed', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, coalesce($12::timestamptz, now()), $13)
     returning id`,
    [
      body.id ?? null,
      sourceFor(user.role),
      scope.customerID,
      scope.agentID,
      territoryID,
      scope.warehouseID,
      customer.currency,
      priced.subtotalMinor,
      priced.taxMinor,
      priced.totalMinor,
      body.note ?? '',
      body.occurredAt ?? null,
      user.sub,
    ],
  );
  const orderID = rows[0]!.id;
  await insertItems(tx, orderID, scope, priced);
  // The saga reserves stock for it, as for an order pushed from a device.
  const { rows: lines } = await tx.query<{ lineID: string; productID: string; qty: number }>(
    `select id as "lineID", product_id as "productID", qty from orders.order_items where order_id = $1 order by created_at, id`,
    [orderID],
  );
  await writeEvent(tx, { type: 'order.created', payload: { orderID, customerID: scope.customerID, warehouseID: scope.warehouseID, totalMinor: priced.totalMinor, lines } });
  return orderID;
}
