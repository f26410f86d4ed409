/** What an agent's device syncs: its territory's customers, its own orders and routes, the catalogue and availability. */
export const agentTables = [
  'catalog.categories',
  'catalog.products',
  'inventory.warehouses',
  'inventory.stock_items',
  'customers.customers',
  'customers.addresses',
  'orders.orders',
  'orders.order_items',
  'agents.agents',
  'agents.routes',
] as const;
