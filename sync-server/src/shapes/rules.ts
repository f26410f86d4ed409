/**
 * Who may sync what: per table, per role, the columns a user may see and the mandatory filter
 * bound to their token's claims. This table is code and is reviewed like code: a table or role
 * missing here is denied (403). The filter is ANDed with the client's own `where`, in the
 * snapshot SQL and in the in-memory evaluation of every live change.
 */
import { agentStockColumns, customerInternalColumns, productCostColumns, type AccessClaims, type Role } from '@niaga/protocol';

export type Claim = 'sub' | 'warehouse_id' | 'territory_id' | 'agent_id' | 'customer_id';

/** A row passes when any clause passes; a clause passes when all its conditions hold. */
export type RuleFilter = readonly (readonly RuleCondition[])[];
export type RuleCondition =
  | { readonly column: string; readonly claim: Claim }
  | { readonly column: string; readonly equals: string };

export interface RoleRule {
  /** 'all' or the columns this role may see; the primary key must be among them. */
  readonly columns: 'all' | { readonly except: readonly string[] } | readonly string[];
  readonly filter: RuleFilter;
}

export type TableRules = Partial<Record<Role, RoleRule>>;

const everyRow: RuleFilter = [[]];
const own = (column: string, claim: Claim): RuleFilter => [[{ column, claim }]];
const all: RoleRule = { columns: 'all', filter: everyRow };
const noCost = { except: productCostColumns } as const;

const syncedToOwner: TableRules = { admin: all, agent: { columns: 'all', filter: own('user_id', 'sub') }, warehouse: { columns: 'all', filter: own('user_id', 'sub') }, customer: { columns: 'all', filter: own('user_id', 'sub') } };
const catalogForEveryone: TableRules = { admin: all, agent: all, warehouse: all, customer: all };
const ofMyWarehouse: RoleRule = { columns: 'all', filter: own('warehouse_id', 'warehouse_id') };

export const shapeRules: Readonly<Record<string, TableRules>> = {
  'catalog.categories': catalogForEveryone,
  'catalog.products': {
    admin: all,
    agent: { columns: noCost, filter: everyRow },
    warehouse: { columns: noCost, filter: everyRow },
    customer: { columns: noCost, filter: [[{ column: 'active', equals: 't' }]] },
  },
  'catalog.variants': { ...catalogForEveryone, customer: { columns: 'all', filter: [[{ column: 'active', equals: 't' }]] } },
  'catalog.images': catalogForEveryone,

  'inventory.warehouses': { admin: all, agent: all, warehouse: all },
  'inventory.bins': { admin: all, warehouse: ofMyWarehouse },
  'inventory.stock_items': {
    admin: all,
    warehouse: ofMyWarehouse,
    // Agents see availability everywhere (to promise stock), not the warehouse's working numbers.
    agent: { columns: agentStockColumns, filter: everyRow },
  },
  'inventory.movements': { admin: all, warehouse: ofMyWarehouse },
  'inventory.transfers': {
    admin: all,
    warehouse: { columns: 'all', filter: [[{ column: 'from_warehouse_id', claim: 'warehouse_id' }], [{ column: 'to_warehouse_id', claim: 'warehouse_id' }]] },
  },
  'inventory.transfer_lines': {
    admin: all,
    warehouse: { columns: 'all', filter: [[{ column: 'from_warehouse_id', claim: 'warehouse_id' }], [{ column: 'to_warehouse_id', claim: 'warehouse_id' }]] },
  },
  'inventory.count_sessions': { admin: all, warehouse: ofMyWarehouse },
  'inventory.count_lines': { admin: all, warehouse: ofMyWarehouse },

  'orders.carts': { admin: all, customer: { columns: 'all', filter: own('customer_id', 'customer_id') } },
  'orders.cart_items': { admin: all, customer: { columns: 'all', filter: own('customer_id', 'customer_id') } },
  'orders.orders': {
    admin: all,
    agent: { columns: 'all', filter: own('agent_id', 'agent_id') },
    customer: { columns: 'all', filter: own('customer_id', 'customer_id') },
    warehouse: ofMyWarehouse,
  },
  'orders.order_items': {
    admin: all,
    agent: { columns: 'all', filter: own('agent_id', 'agent_id') },
    customer: { columns: 'all', filter: own('customer_id', 'customer_id') },
    warehouse: ofMyWarehouse,
  },
  'orders.payments': {
    admin: all,
    agent: { columns: 'all', filter: own('agent_id', 'agent_id') },
    customer: { columns: 'all', filter: own('customer_id', 'customer_id') },
  },
  'orders.pick_lists': { admin: all, warehouse: ofMyWarehouse },
  'orders.pick_lines': { admin: all, warehouse: ofMyWarehouse },

  'customers.customers': {
    admin: all,
    agent: { columns: 'all', filter: own('territory_id', 'territory_id') },
    // A shopper sees their own row, but not the business's notes on them.
    customer: { columns: { except: customerInternalColumns }, filter: own('id', 'customer_id') },
  },
  'customers.addresses': {
    admin: all,
    agent: { columns: 'all', filter: own('territory_id', 'territory_id') },
    customer: { columns: 'all', filter: own('customer_id', 'customer_id') },
  },
  'customers.wishlists': { admin: all, customer: { columns: 'all', filter: own('customer_id', 'customer_id') } },

  'agents.territories': { admin: all, agent: all },
  'agents.agents': { admin: all, agent: { columns: 'all', filter: own('id', 'agent_id') } },
  'agents.routes': { admin: all, agent: { columns: 'all', filter: own('agent_id', 'agent_id') } },
  'agents.commissions': { admin: all, agent: { columns: 'all', filter: own('agent_id', 'agent_id') } },

  'sync.clients': syncedToOwner,
  'sync.mutation_results': syncedToOwner,
};

export const syncedTables: readonly string[] = Object.keys(shapeRules);

/** The value a claim condition compares with; null (no such claim) matches no row. */
export function claimValue(user: AccessClaims, claim: Claim): string | null {
  return user[claim];
}

const scopeColumns = new Map<string, readonly string[]>();

/** The columns the rules of `table` filter on, for indexing changes by scope (computed once per table: a hot path). */
export function scopeColumnsOf(table: string): readonly string[] {
  let columns = scopeColumns.get(table);
  if (!columns) {
    const found = new Set<string>();
    for (const rule of Object.values(shapeRules[table] ?? {})) for (const clause of rule.filter) for (const condition of clause) found.add(condition.column);
    scopeColumns.set(table, (columns = [...found]));
  }
  return columns;
}
