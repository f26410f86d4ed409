import type { Queryable } from '@niaga/db';

export interface ProductForSale {
  id: string;
  sku: string;
  name: string;
  price_minor: number;
  currency: string;
  active: boolean;
}

/** Other domains (orders, carts) read products through this, never by joining catalog tables. */
export async function findProductsForSale(db: Queryable, ids: readonly string[]): Promise<Map<string, ProductForSale>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<ProductForSale>(
    'select id, sku, name, price_minor, currency, active from catalog.products where id = any($1::uuid[])',
    [[...new Set(ids)]],
  );
  return new Map(rows.map((row) => [row.id, row]));
}
