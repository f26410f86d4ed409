/**
 * Columns some roles may not see, in one place: the shape rules (sync-server) and the REST
 * resources (domain) both read them, so a role sees the same columns through either.
 */

/** `catalog.products`: what a product costs the business; admins only. */
export const productCostColumns = ['cost_minor'] as const;

/** `inventory.stock_items` as agents see it: availability to promise, not the warehouse's working numbers. */
export const agentStockColumns = ['id', 'warehouse_id', 'product_id', 'available', 'updated_at'] as const;

/** `customers.customers`: the business's own notes on a customer, and who created it; not shown to that customer. */
export const customerInternalColumns = ['notes', 'created_by'] as const;
