/** Scan anything to see what it is, where it lives in this warehouse and how many are on hand (as last synced). */
import { formatAge, useDevice, useNow } from '@niaga/app-kit';
import { useLiveQuery } from '@niaga/sync/react';
import { useCallback, useState } from 'react';
import { findProductByCode, num, text } from './catalog.ts';
import { ScanField, scanFailure, useScanFeedback } from './scan-field.tsx';

export function LookupScreen() {
  const { store } = useDevice();
  const [code, setCode] = useState<string | undefined>(undefined);
  const [feedback, report, clear] = useScanFeedback();
  const now = useNow();
  const { data: found } = useLiveQuery(
    store,
    async (tx) => {
      if (code === undefined) return null;
      const product = await findProductByCode(tx, code);
      if (!product) return { code, product: undefined };
      const [stock] = await tx.list('inventory.stock_items', { product_id: product.id }, { limit: 1 });
      const bin = stock?.bin_id ? await tx.get('inventory.bins', text(stock.bin_id)) : undefined;
      return { code, product, stock, bin };
    },
    ['catalog.products', 'inventory.stock_items', 'inventory.bins'],
    [code],
  );
  const onScan = useCallback(
    (scanned: string) => {
      setCode(scanned);
      clear();
      void store
        .transaction((tx) => findProductByCode(tx, scanned))
        .then((product) => (product ? report('ok', product.name) : report('error', `No product has barcode ${scanned}`)))
        .catch((error: unknown) => report('error', scanFailure(scanned, error)));
    },
    [store, report, clear],
  );

  return (
    <>
      <h1>Product lookup</h1>
      <ScanField label="Scan item" onScan={onScan} feedback={feedback} />
      {found?.product && (
        <section aria-label="Product" className="card">
          <h2>{found.product.name}</h2>
          <p className="muted">
            SKU {found.product.sku}
            {found.product.barcode ? ` · barcode ${found.product.barcode}` : ''}
          </p>
          {found.stock ? (
            <dl className="facts">
              <dt>Bin</dt>
              <dd className="bin-code">{found.bin ? text(found.bin.code) : 'none'}</dd>
              <dt>On hand</dt>
              <dd>{num(found.stock.on_hand)}</dd>
              <dt>Reserved</dt>
              <dd>{num(found.stock.reserved)}</dd>
              <dt>Available</dt>
              <dd>{num(found.stock.available)}</dd>
              <dt>Last counted</dt>
              <dd>{found.stock.last_counted_at ? formatAge(text(found.stock.last_counted_at), now) : 'never'}</dd>
              <dt>As of</dt>
              <dd>{formatAge(text(found.stock.updated_at), now)}</dd>
            </dl>
          ) : (
            <p>Not stocked in this warehouse.</p>
          )}
        </section>
      )}
    </>
  );
}
