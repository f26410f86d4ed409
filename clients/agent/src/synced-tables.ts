/** What an agent's device syncs: its territory's customers, its own orders (with their payments) and routes, the catalogue and availability. */
export const agentTables = [
  'catalog.categories',
  'catalog.products',
  'inventory.warehouses',
  'inventory.stock_items',
  'customers.customers',
  'customers.addresses',
  'orders.orders',
  'orders.order_items',
  'orders.payments',
  'agents.agents',
  'agents.routes',
] as const;

/** Local indexes for the screens' lookups (PGlite creates them with the tables). */
export const agentIndexes: Readonly<Record<string, readonly string[]>> = {
  'catalog.products': ['category_id'],
  'inventory.stock_items': ['product_id'],
  'customers.addresses': ['customer_id'],
  'orders.orders': ['customer_id'],
  'orders.order_items': ['order_id'],
  'orders.payments': ['order_id'],
  'agents.routes': ['planned_for'],
};
