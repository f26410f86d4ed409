import { Table } from './table.ts';

/**
 * Fresh, empty buffers for every table the demo fills, in an order that satisfies the foreign keys
 * (the seeder inserts them in this order). Every timestamp column is listed so none falls back to
 * now(): the data must not depend on when it was seeded.
 */
export function createDemoTables() {
  return {
    categories: new Table('catalog.categories', {
      id: 'uuid', parent_id: 'uuid', name: 'text', slug: 'text', sort_order: 'int4', created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    products: new Table('catalog.products', {
      id: 'uuid', sku: 'text', barcode: 'text', name: 'text', description: 'text', category_id: 'uuid', tags: 'text[]', active: 'bool',
      price_minor: 'int8', cost_minor: 'int8', currency: 'text', unit: 'text', created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    variants: new Table('catalog.variants', {
      id: 'uuid', product_id: 'uuid', sku: 'text', barcode: 'text', size: 'text', colour: 'text', price_minor: 'int8', active: 'bool',
      created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    images: new Table('catalog.images', {
      id: 'uuid', product_id: 'uuid', url: 'text', alt: 'text', sort_order: 'int4', created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    priceHistory: new Table('catalog.price_history', {
      id: 'uuid', product_id: 'uuid', price_minor: 'int8', currency: 'text', effective_from: 'timestamptz', changed_by: 'uuid',
      created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    warehouses: new Table('inventory.warehouses', {
      id: 'uuid', code: 'text', name: 'text', address: 'text', timezone: 'text', active: 'bool', created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    bins: new Table('inventory.bins', {
      id: 'uuid', warehouse_id: 'uuid', code: 'text', zone: 'text', sort_order: 'int4', created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    stockItems: new Table('inventory.stock_items', {
      id: 'uuid', warehouse_id: 'uuid', product_id: 'uuid', bin_id: 'uuid', on_hand: 'int4', reserved: 'int4', reorder_point: 'int4',
      version: 'int4', last_counted_at: 'timestamptz', created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    movements: new Table('inventory.movements', {
      id: 'uuid', warehouse_id: 'uuid', product_id: 'uuid', bin_id: 'uuid', kind: 'text', quantity: 'int4', affects_on_hand: 'bool',
      reason: 'text', reference_type: 'text', reference_id: 'uuid', occurred_at: 'timestamptz', recorded_at: 'timestamptz', user_id: 'uuid',
      created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    transfers: new Table('inventory.transfers', {
      id: 'uuid', from_warehouse_id: 'uuid', to_warehouse_id: 'uuid', status: 'text', note: 'text', created_by: 'uuid',
      shipped_at: 'timestamptz', received_at: 'timestamptz', created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    transferLines: new Table('inventory.transfer_lines', {
      id: 'uuid', transfer_id: 'uuid', from_warehouse_id: 'uuid', to_warehouse_id: 'uuid', product_id: 'uuid', quantity: 'int4',
      shipped_qty: 'int4', received_qty: 'int4', created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    territories: new Table('agents.territories', {
      id: 'uuid', code: 'text', name: 'text', region: 'text', created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    agents: new Table('agents.agents', {
      id: 'uuid', code: 'text', name: 'text', email: 'text', phone: 'text', territory_id: 'uuid', warehouse_id: 'uuid',
      commission_rate_bp: 'int4', active: 'bool', created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    customers: new Table('customers.customers', {
      id: 'uuid', code: 'text', name: 'text', email: 'text', phone: 'text', territory_id: 'uuid', credit_limit_minor: 'int8',
      currency: 'text', notes: 'text', active: 'bool', created_by: 'uuid', created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    addresses: new Table('customers.addresses', {
      id: 'uuid', customer_id: 'uuid', territory_id: 'uuid', label: 'text', line1: 'text', line2: 'text', city: 'text', region: 'text',
      postal_code: 'text', country: 'text', latitude: 'float8', longitude: 'float8', is_default: 'bool',
      created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    wishlists: new Table('customers.wishlists', {
      id: 'uuid', customer_id: 'uuid', product_id: 'uuid', created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    routes: new Table('agents.routes', {
      id: 'uuid', agent_id: 'uuid', territory_id: 'uuid', customer_id: 'uuid', planned_for: 'date', sequence: 'int4', status: 'text',
      visited_at: 'timestamptz', notes: 'text', created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    carts: new Table('orders.carts', { id: 'uuid', customer_id: 'uuid', created_at: 'timestamptz', updated_at: 'timestamptz' }),
    cartItems: new Table('orders.cart_items', {
      id: 'uuid', cart_id: 'uuid', customer_id: 'uuid', product_id: 'uuid', variant_id: 'uuid', qty: 'int4',
      created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    orders: new Table('orders.orders', {
      id: 'uuid', number: 'text', status: 'text', source: 'text', customer_id: 'uuid', agent_id: 'uuid', territory_id: 'uuid',
      warehouse_id: 'uuid', currency: 'text', subtotal_minor: 'int8', tax_minor: 'int8', total_minor: 'int8', note: 'text',
      status_reason: 'text', occurred_at: 'timestamptz', placed_at: 'timestamptz', cancelled_at: 'timestamptz', created_by: 'uuid',
      version: 'int4', created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    orderItems: new Table('orders.order_items', {
      id: 'uuid', order_id: 'uuid', customer_id: 'uuid', agent_id: 'uuid', warehouse_id: 'uuid', product_id: 'uuid', variant_id: 'uuid',
      sku: 'text', name: 'text', qty: 'int4', unit_price_minor: 'int8', line_total_minor: 'int8', allocated_qty: 'int4', picked_qty: 'int4',
      created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    payments: new Table('orders.payments', {
      id: 'uuid', order_id: 'uuid', customer_id: 'uuid', agent_id: 'uuid', amount_minor: 'int8', currency: 'text', method: 'text', status: 'text',
      provider_ref: 'text', processed_at: 'timestamptz', created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    pickLists: new Table('orders.pick_lists', {
      id: 'uuid', order_id: 'uuid', warehouse_id: 'uuid', status: 'text', assigned_to: 'uuid', completed_at: 'timestamptz',
      created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    pickLines: new Table('orders.pick_lines', {
      id: 'uuid', pick_list_id: 'uuid', order_item_id: 'uuid', warehouse_id: 'uuid', product_id: 'uuid', bin_id: 'uuid', bin_code: 'text',
      bin_sort_order: 'int4', qty: 'int4', picked_qty: 'int4', status: 'text', created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    commissions: new Table('agents.commissions', {
      id: 'uuid', agent_id: 'uuid', order_id: 'uuid', amount_minor: 'int8', currency: 'text', rate_bp: 'int4', status: 'text',
      earned_at: 'timestamptz', created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
    salesSummary: new Table('reporting.sales_summary', {
      id: 'uuid', day: 'date', territory_id: 'uuid', agent_id: 'uuid', currency: 'text', orders_count: 'int4', units: 'int4',
      revenue_minor: 'int8', updated_at: 'timestamptz',
    }),
    inventorySummary: new Table('reporting.inventory_summary', {
      warehouse_id: 'uuid', sku_count: 'int4', units_on_hand: 'int8', units_reserved: 'int8', value_minor: 'int8', low_stock_count: 'int4',
      updated_at: 'timestamptz',
    }),
    users: new Table('auth.users', {
      id: 'uuid', email: 'text', password_hash: 'text', name: 'text', role: 'text', warehouse_id: 'uuid', territory_id: 'uuid',
      agent_id: 'uuid', customer_id: 'uuid', disabled: 'bool', created_at: 'timestamptz', updated_at: 'timestamptz',
    }),
  };
}

export type DemoTables = ReturnType<typeof createDemoTables>;
