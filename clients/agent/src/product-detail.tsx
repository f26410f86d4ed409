/** A product with its availability per warehouse, as last synced (with its age). */
import { formatAge, formatMoney, useDevice, useNow } from '@niaga/app-kit';
import { useSyncStatus } from '@niaga/sync/react';
import { useSql } from './local-db.ts';

interface Product {
  name: string;
  sku: string;
  barcode: string | null;
  description: string;
  price_minor: number;
  currency: string;
  unit: string;
}
interface Availability {
  warehouse: string;
  code: string;
  available: number;
  updated_at: string;
}

export function ProductDetail(props: { readonly productID: string }) {
  const { client, store } = useDevice();
  const status = useSyncStatus(client);
  const now = useNow();
  const product = useSql<Product>(store, 'select name, sku, barcode, description, price_minor, currency, unit from catalog.products where id = $1', [props.productID], ['catalog.products']).rows?.[0];
  const stock = useSql<Availability>(
    store,
    `select w.name as warehouse, w.code, s.available, s.updated_at::text as updated_at
       from inventory.stock_items s join inventory.warehouses w on w.id = s.warehouse_id
      where s.product_id = $1 order by w.code`,
    [props.productID],
    ['inventory.stock_items', 'inventory.warehouses'],
  ).rows;
  if (!product) return <p className="muted">No such product on this device.</p>;
  return (
    <section aria-label="Product">
      <h1>{product.name}</h1>
      <p className="muted">
        {product.sku} {product.barcode && `· ${product.barcode}`} · per {product.unit}
      </p>
      <p>
        <strong>{formatMoney(product.price_minor, product.currency)}</strong>
      </p>
      {product.description && <p>{product.description}</p>}
      <h2>Available stock</h2>
      <p className="muted" data-testid="stock-age">
        As last synced {formatAge(status.lastSyncedAt, now)}
        {status.online ? '' : ' (offline: it may have changed since)'}
      </p>
      <table>
        <thead>
          <tr>
            <th>Warehouse</th>
            <th>Available</th>
            <th>Changed</th>
          </tr>
        </thead>
        <tbody>
          {stock?.map((row) => (
            <tr key={row.code}>
              <td>
                {row.code} {row.warehouse}
              </td>
              <td className={row.available > 0 ? '' : 'error'}>{row.available}</td>
              <td className="muted">{formatAge(row.updated_at, now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
