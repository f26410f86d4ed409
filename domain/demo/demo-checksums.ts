import type { Executor } from '@niaga/db';

/** Tables whose whole contents must be identical for the same seed (auth.users differs by its salted hash). */
export const checksummedTables = [
  'catalog.products', 'catalog.variants', 'catalog.price_history', 'inventory.stock_items', 'inventory.movements',
  'customers.customers', 'customers.addresses', 'agents.routes', 'orders.orders', 'orders.order_items', 'orders.pick_lines',
  'reporting.sales_summary',
] as const;

/** An md5 of every row's text per table, in UTC so the timestamps print the same on any server. */
export async function tableChecksums(db: Executor, tables: readonly string[] = checksummedTables): Promise<Record<string, string>> {
  return db.transaction(async (tx) => {
    await tx.query(`set local timezone to 'UTC'`);
    const sums: Record<string, string> = {};
    for (const table of tables) {
      const { rows } = await tx.query<{ sum: string }>(`select md5(string_agg(t::text, ',' order by t::text)) as sum from ${table} t`);
      sums[table] = rows[0]!.sum;
    }
    return sums;
  });
}
