/**
 * The catalogue the read-path benchmarks sync: 50 categories and `rowCount` catalog.products rows,
 * in one set-based insert (then analyze). Descriptions carry commas and quotes, so CSV and JSON
 * both have to escape; every product has a category and two tags (a text[] column).
 * Used by initial-sync.ts and client-initial-sync.ts.
 */
import type pg from 'pg';

/** The admin's columns of catalog.products, in table order. */
export const productColumns = ['id', 'sku', 'barcode', 'name', 'description', 'category_id', 'tags', 'active', 'price_minor', 'cost_minor', 'currency', 'unit', 'created_at', 'updated_at'] as const;

/** Seeds the categories and products; returns how long it took (ms). */
export async function seedProducts(client: pg.Client, rowCount: number): Promise<number> {
  const started = performance.now();
  await client.query(`insert into catalog.categories (name, slug) select 'Category ' || g, 'category-' || g from generate_series(1, 50) g`);
  await client.query(
    `insert into catalog.products (sku, barcode, name, description, category_id, tags, active, price_minor, cost_minor, currency, unit)
     select 'SKU-' || lpad(g::text, 7, '0'),
            (4006381000000 + g)::text,
            (array['Cordless drill', 'Hex bolt M8', 'Cable tie 200mm', 'LED lamp E27', 'Work gloves'])[1 + g % 5] || ' #' || g,
            repeat('Sturdy, reliable "pro" grade; ships in 24h. ', 1 + g % 4),
            c.ids[1 + g % 50],
            array['tag-' || (g % 7), 'tag-' || (g % 11)],
            g % 10 <> 0,
            100 + (g * 37) % 100000,
            50 + (g * 17) % 50000,
            'USD',
            (array['each', 'box', 'kg'])[1 + g % 3]
       from generate_series(1, $1::int) g, (select array_agg(id order by slug) as ids from catalog.categories) c`,
    [rowCount],
  );
  await client.query('analyze catalog.products');
  return performance.now() - started;
}

/** A CSV field as COPY … (format csv) reads it: null is empty, and quoted when it must be. */
export function csvField(value: string | null): string {
  if (value === null) return '';
  return /[",\n\r]/.test(value) || value === '' ? `"${value.replace(/"/g, '""')}"` : value;
}
