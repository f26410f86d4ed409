/**
 * Order entry, offline: pick a customer, add lines (steppers, a warning when the warehouse has
 * less than asked), review and place. `order.place` runs on the device at once (the order shows
 * as placed and pending) and on the server when there is a connection, which confirms,
 * backorders or adjusts it.
 */
import { formatMoney, go, MutationError, newID, useDevice } from '@niaga/app-kit';
import { useMutator } from '@niaga/sync/react';
import { useEffect, useState } from 'react';
import { useProductSearch } from './catalog-screen.tsx';
import { useSql } from './local-db.ts';
import { clampQty, MAX_QTY, useOrderDraft, type DraftLine } from './order-draft.ts';

interface Warehouse {
  id: string;
  code: string;
  name: string;
}

export function OrderEntry(props: { readonly customerID?: string }) {
  const { client, store, actor } = useDevice();
  const { mutate, pending, error } = useMutator(client);
  const [draft, change, clear] = useOrderDraft();
  const [search, setSearch] = useState('');
  const [customerSearch, setCustomerSearch] = useState('');
  const [warning, setWarning] = useState<string | undefined>(undefined);

  useEffect(() => {
    if (props.customerID && props.customerID !== draft.customerID) change({ customerID: props.customerID });
    // Only when the route names another customer.
  }, [props.customerID]);

  const warehouses = useSql<Warehouse>(store, 'select id, code, name from inventory.warehouses where active order by code', [], ['inventory.warehouses']).rows ?? [];
  const home = useSql<{ warehouse_id: string | null }>(store, 'select warehouse_id from agents.agents where id = $1', [actor.agent_id], ['agents.agents']).rows?.[0]?.warehouse_id ?? null;
  const warehouseID = draft.warehouseID ?? home ?? warehouses[0]?.id ?? null;
  const customer = useSql<{ id: string; name: string }>(store, 'select id, name from customers.customers where id = $1', [draft.customerID], ['customers.customers']).rows?.[0];
  const customers = useSql<{ id: string; name: string }>(
    store,
    "select id, name from customers.customers where active and ($1 = '' or name ilike $2) order by name limit 20",
    [customerSearch.trim(), `%${customerSearch.trim()}%`],
    ['customers.customers'],
  ).rows;
  const products = useProductSearch(search, null, 20).rows;
  const productIDs = draft.lines.map((line) => line.productID);
  const available = new Map(
    (
      useSql<{ product_id: string; available: number }>(store, 'select product_id, available from inventory.stock_items where warehouse_id = $1 and product_id = any($2::uuid[])', [warehouseID, productIDs], [
        'inventory.stock_items',
      ]).rows ?? []
    ).map((row) => [row.product_id, row.available]),
  );

  const setLine = (productID: string, qty: number) => {
    if (qty > MAX_QTY) setWarning(`A line can hold at most ${MAX_QTY.toLocaleString()} units.`);
    else setWarning(undefined);
    change({ lines: draft.lines.map((line) => (line.productID === productID ? { ...line, qty: clampQty(qty) } : line)) });
  };
  const addProduct = (product: { id: string; name: string; sku: string; price_minor: number; currency: string }) => {
    const existing = draft.lines.find((line) => line.productID === product.id);
    if (existing) return setLine(product.id, existing.qty + 1);
    const line: DraftLine = { productID: product.id, name: product.name, sku: product.sku, unitPrice: product.price_minor, currency: product.currency, qty: 1 };
    change({ lines: [...draft.lines, line] });
  };
  const subtotal = draft.lines.reduce((sum, line) => sum + line.unitPrice * line.qty, 0);

  async function place() {
    if (!draft.customerID || draft.lines.length === 0) return;
    const orderID = newID();
    const result = await mutate('order.place', {
      orderID,
      customerID: draft.customerID,
      lines: draft.lines.map((line) => ({ lineID: newID(), productID: line.productID, qty: line.qty, unitPrice: line.unitPrice })),
      ...(draft.note.trim() ? { note: draft.note.trim() } : {}),
      ...(warehouseID ? { warehouseID } : {}),
      occurredAt: new Date().toISOString(),
    });
    if (!result.ok) return;
    clear();
    go('orders', orderID);
  }

  if (!customer) {
    return (
      <section aria-label="New order">
        <h1>New order: choose the customer</h1>
        <input type="search" aria-label="Search customers" placeholder="Customer name" value={customerSearch} onChange={(event) => setCustomerSearch(event.target.value)} />
        <ul className="list">
          {customers?.map((row) => (
            <li key={row.id}>
              <button type="button" onClick={() => change({ customerID: row.id })}>
                {row.name}
              </button>
            </li>
          ))}
        </ul>
      </section>
    );
  }

  return (
    <section aria-label="New order">
      <h1>New order for {customer.name}</h1>
      <div className="toolbar">
        <label style={{ flex: 1 }}>
          Ship from
          <select aria-label="Warehouse" value={warehouseID ?? ''} onChange={(event) => change({ warehouseID: event.target.value })}>
            {warehouses.map((warehouse) => (
              <option key={warehouse.id} value={warehouse.id}>
                {warehouse.code} {warehouse.name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => change({ customerID: null })}>
          Change customer
        </button>
      </div>

      <h2>Lines</h2>
      {draft.lines.length === 0 && <p className="muted">No lines yet: add products below.</p>}
      <ul className="list" aria-label="Order lines">
        {draft.lines.map((line) => {
          const stock = available.get(line.productID) ?? 0;
          return (
            <li key={line.productID} aria-label={line.name}>
              <div className="row">
                <span>
                  <strong>{line.name}</strong> <span className="muted">{formatMoney(line.unitPrice, line.currency)}</span>
                  {line.qty > stock && (
                    <span className="error" role="status">
                      {' '}
                      Only {stock} available: the rest may be backordered
                    </span>
                  )}
                </span>
                <span className="stepper">
                  <button type="button" aria-label={`Fewer ${line.name}`} onClick={() => (line.qty <= 1 ? change({ lines: draft.lines.filter((other) => other !== line) }) : setLine(line.productID, line.qty - 1))}>
                    −
                  </button>
                  <input aria-label={`Quantity of ${line.name}`} inputMode="numeric" value={line.qty} onChange={(event) => setLine(line.productID, Number(event.target.value))} />
                  <button type="button" aria-label={`More ${line.name}`} onClick={() => setLine(line.productID, line.qty + 1)}>
                    +
                  </button>
                </span>
              </div>
            </li>
          );
        })}
      </ul>
      {warning && (
        <p role="alert" className="error">
          {warning}
        </p>
      )}

      <input type="search" aria-label="Search products to add" placeholder="Add a product: name, SKU or barcode" value={search} onChange={(event) => setSearch(event.target.value)} />
      {search.trim() && (
        <ul className="list" aria-label="Products to add">
          {products?.map((product) => (
            <li key={product.id}>
              <button type="button" onClick={() => addProduct(product)}>
                <span>
                  Add <strong>{product.name}</strong>
                </span>
                <span className="muted">
                  {formatMoney(product.price_minor, product.currency)} · {product.available ?? 0} available
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}

      <h2>Review</h2>
      <label>
        Note
        <textarea aria-label="Note" value={draft.note} onChange={(event) => change({ note: event.target.value })} />
      </label>
      <p>
        Subtotal <strong data-testid="subtotal">{formatMoney(subtotal, draft.lines[0]?.currency)}</strong> <span className="muted">(tax is added when the order is placed)</span>
      </p>
      <MutationError error={error} />
      <div className="toolbar">
        <button type="button" className="primary" disabled={pending || draft.lines.length === 0} onClick={() => void place()}>
          Place order
        </button>
        <button type="button" className="danger" onClick={clear}>
          Discard
        </button>
      </div>
    </section>
  );
}
