/** The catalogue: browse by category, search as you type (SQL over the device's database). */
import { formatMoney, go, useDevice } from '@niaga/app-kit';
import { useState } from 'react';
import { useSql } from './local-db.ts';

export interface ProductRow {
  id: string;
  name: string;
  sku: string;
  price_minor: number;
  currency: string;
  unit: string;
  available: number | null;
}

/** Products matching `search` (name, SKU or barcode) in `categoryID` (and its children), with total availability. */
export function useProductSearch(search: string, categoryID: string | null, limit = 60) {
  const { store } = useDevice();
  const text = search.trim();
  return useSql<ProductRow>(
    store,
    `select p.id, p.name, p.sku, p.price_minor, p.currency, p.unit,
            (select sum(s.available)::int from inventory.stock_items s where s.product_id = p.id) as available
       from catalog.products p
      where p.active
        and ($1 = '' or p.name ilike $2 or p.sku ilike $2 or p.barcode = $1)
        and ($3::uuid is null or p.category_id = $3::uuid
             or p.category_id in (select id from catalog.categories where parent_id = $3::uuid))
      order by p.name limit ${limit}`,
    [text, `%${text}%`, categoryID],
    ['catalog.products', 'catalog.categories', 'inventory.stock_items'],
  );
}

export function CatalogScreen() {
  const { store } = useDevice();
  const [search, setSearch] = useState('');
  const [categoryID, setCategoryID] = useState<string | null>(null);
  const categories = useSql<{ id: string; name: string }>(store, 'select id, name from catalog.categories where parent_id is null order by sort_order, name', [], ['catalog.categories']).rows;
  const { rows } = useProductSearch(search, categoryID);
  return (
    <section aria-label="Catalogue">
      <div className="toolbar">
        <input type="search" aria-label="Search products" placeholder="Search by name, SKU or barcode" value={search} onChange={(event) => setSearch(event.target.value)} />
      </div>
      <div className="toolbar" role="group" aria-label="Categories" style={{ flexWrap: 'wrap' }}>
        <button type="button" aria-pressed={categoryID === null} onClick={() => setCategoryID(null)}>
          All
        </button>
        {categories?.map((category) => (
          <button key={category.id} type="button" aria-pressed={categoryID === category.id} onClick={() => setCategoryID(category.id)}>
            {category.name}
          </button>
        ))}
      </div>
      {rows?.length === 0 && <p className="muted">No product matches.</p>}
      <ul className="list" aria-label="Products">
        {rows?.map((product) => (
          <li key={product.id}>
            <button type="button" onClick={() => go('catalog', product.id)}>
              <span>
                <strong>{product.name}</strong> <span className="muted">{product.sku}</span>
              </span>
              <span>
                {formatMoney(product.price_minor, product.currency)} <span className={product.available ? 'muted' : 'error'}>{product.available ?? 0} available</span>
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
