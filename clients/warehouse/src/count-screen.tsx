/**
 * Stock counts, blind: the picker chooses a bin, scans what is in it (each scan adds one) or types
 * the counts, and submits; one `stock.count` per item. The quantity the ledger expects is never
 * shown; the variance appears only once the server has decided (applied, awaiting approval,
 * superseded). The sheet in progress is kept in localStorage until it is submitted.
 */
import { go, MutationError, newID, useDevice } from '@niaga/app-kit';
import type { StoreTx } from '@niaga/sync';
import { useLiveQuery, useMutator } from '@niaga/sync/react';
import { useCallback, useState } from 'react';
import { findProductByCode, num, productsByID, text } from './catalog.ts';
import { QuantityInput } from './quantity-input.tsx';
import { ScanField, scanFailure, useScanFeedback } from './scan-field.tsx';
import { maxQuantity, parseQuantity } from './scan-rules.ts';
import { peekSavedWork, useSavedWork } from './saved-work.ts';

const countTables = ['inventory.bins', 'inventory.stock_items', 'inventory.count_lines', 'catalog.products'];

/** Product id → the count as typed, in the order the items were first scanned. */
type CountSheet = Readonly<Record<string, { readonly qty: string; readonly name: string; readonly sku: string }>>;
const emptySheet: CountSheet = {};

export const countStatusLabel: Readonly<Record<string, string>> = {
  pending: 'waiting for the server',
  applied: 'applied',
  awaiting_approval: 'awaiting approval',
  approved: 'approved',
  voided: 'voided',
  superseded: 'superseded',
};

interface BinSummary {
  readonly id: string;
  readonly code: string;
  readonly zone: string;
  readonly waiting: number;
}

async function readBins(tx: StoreTx): Promise<BinSummary[]> {
  const bins = (await tx.list('inventory.bins', {})).sort((a, b) => num(a.sort_order) - num(b.sort_order) || text(a.code).localeCompare(text(b.code)));
  const waiting = new Map<string, number>();
  for (const line of await tx.list('inventory.count_lines', { status: 'pending' })) waiting.set(text(line.bin_id), (waiting.get(text(line.bin_id)) ?? 0) + 1);
  return bins.map((bin) => ({ id: text(bin.id), code: text(bin.code), zone: text(bin.zone), waiting: waiting.get(text(bin.id)) ?? 0 }));
}

export function CountScreen(props: { readonly binID: string | undefined }) {
  return props.binID ? <BinCount binID={props.binID} /> : <BinChooser />;
}

function BinChooser() {
  const { store, actor } = useDevice();
  const { data: bins } = useLiveQuery(store, readBins, countTables);
  const [feedback, report] = useScanFeedback();
  const onScan = useCallback(
    (code: string) => {
      void store
        .transaction((tx) => tx.list('inventory.bins', { code }, { limit: 1 }))
        .then(([bin]) => {
          if (bin) go('count', text(bin.id));
          else report('error', `No bin has the code ${code} in this warehouse`);
        })
        .catch((error: unknown) => report('error', scanFailure(code, error)));
    },
    [store, report],
  );
  if (!bins) return <p className="muted">Loading bins…</p>;
  return (
    <>
      <h1>Stock count</h1>
      <p className="muted">Choose a bin (or scan its label), then scan or count what is in it.</p>
      <ScanField label="Scan bin" placeholder="Scan a bin label, e.g. A-01" onScan={onScan} feedback={feedback} />
      <ul className="list bins" aria-label="Bins">
        {bins.map((bin) => {
          const sheet = peekSavedWork<CountSheet>(actor.sub, `count:${bin.id}`);
          const inProgress = sheet ? Object.keys(sheet).length : 0;
          return (
            <li key={bin.id}>
              <button type="button" onClick={() => go('count', bin.id)} aria-label={`Bin ${bin.code}`}>
                <span>
                  <strong>{bin.code}</strong> <span className="muted small">zone {bin.zone}</span>
                </span>
                <span>
                  {inProgress > 0 && <span className="badge adjusted">{inProgress} being counted</span>} {bin.waiting > 0 && <span className="badge pending">{bin.waiting} waiting to send</span>}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </>
  );
}

interface CountLineView {
  readonly id: string;
  readonly name: string;
  readonly sku: string;
  readonly counted: number;
  readonly status: string;
  readonly variance: number | null;
  readonly occurredAt: string;
}

interface BinView {
  readonly code: string;
  readonly zone: string;
  /** What the ledger has in this bin: names only, never quantities (the count is blind). */
  readonly items: readonly { readonly id: string; readonly name: string; readonly sku: string }[];
  readonly counts: readonly CountLineView[];
}

async function readBin(tx: StoreTx, binID: string): Promise<BinView | null> {
  const bin = await tx.get('inventory.bins', binID);
  if (!bin) return null;
  const stock = await tx.list('inventory.stock_items', { bin_id: binID });
  const counts = (await tx.list('inventory.count_lines', { bin_id: binID })).sort((a, b) => text(b.occurred_at).localeCompare(text(a.occurred_at))).slice(0, 30);
  const products = await productsByID(tx, [...stock, ...counts].map((row) => text(row.product_id)));
  return {
    code: text(bin.code),
    zone: text(bin.zone),
    items: stock
      .map((item) => products.get(text(item.product_id)))
      .filter((product) => product !== undefined)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((product) => ({ id: product.id, name: product.name, sku: product.sku })),
    counts: counts.map((line) => ({
      id: text(line.id),
      name: products.get(text(line.product_id))?.name ?? 'Unknown product',
      sku: products.get(text(line.product_id))?.sku ?? '',
      counted: num(line.counted_qty),
      status: text(line.status),
      variance: line.variance === null || line.variance === undefined ? null : num(line.variance),
      occurredAt: text(line.occurred_at),
    })),
  };
}

function BinCount(props: { readonly binID: string }) {
  const { store, client, actor } = useDevice();
  const { binID } = props;
  const { data: bin } = useLiveQuery(store, (tx) => readBin(tx, binID), [...countTables, 'sync.clients'], [binID]);
  const sheet = useSavedWork<CountSheet>(`count:${binID}`, emptySheet);
  const [feedback, report] = useScanFeedback();
  const { mutate, error: mutationError, pending } = useMutator(client);
  const [invalid, setInvalid] = useState<Readonly<Record<string, string>>>({});
  const [submitted, setSubmitted] = useState<string | undefined>(undefined);

  const add = useCallback(
    (product: { id: string; name: string; sku: string }, by: number) => {
      let total = by;
      sheet.set((previous) => {
        const before = previous[product.id];
        const parsed = before ? parseQuantity(before.qty, 0, maxQuantity) : undefined;
        total = (parsed?.ok ? parsed.value : 0) + by;
        return { ...previous, [product.id]: { qty: String(total), name: product.name, sku: product.sku } };
      });
      return total;
    },
    [sheet],
  );

  const onScan = useCallback(
    (code: string) => {
      void store
        .transaction(async (tx) => {
          const product = await findProductByCode(tx, code);
          const [item] = product ? await tx.list('inventory.stock_items', { product_id: product.id }, { limit: 1 }) : [];
          const home = item?.bin_id ? await tx.get('inventory.bins', text(item.bin_id)) : undefined;
          return { product, homeBin: home && text(home.id) !== binID ? text(home.code) : undefined };
        })
        .then(({ product, homeBin }) => {
          if (!product) return report('error', `No product has barcode ${code}`);
          const total = add(product, 1);
          setSubmitted(undefined);
          report('ok', `${product.name}: ${total}${homeBin ? ` (its home bin is ${homeBin}: counted here anyway)` : ''}`);
        })
        .catch((error: unknown) => report('error', scanFailure(code, error)));
    },
    [store, binID, add, report],
  );

  const submit = async () => {
    const entries = Object.entries(sheet.value);
    const problems: Record<string, string> = {};
    const counts: { productID: string; qty: number }[] = [];
    for (const [productID, line] of entries) {
      const parsed = parseQuantity(line.qty, 0, maxQuantity);
      if (parsed.ok) counts.push({ productID, qty: parsed.value });
      else problems[productID] = parsed.message;
    }
    setInvalid(problems);
    if (Object.keys(problems).length > 0 || counts.length === 0) return;
    let sent = 0;
    for (const count of counts) {
      const result = await mutate('stock.count', { countID: newID(), warehouseID: actor.warehouse_id, binID, productID: count.productID, countedQty: count.qty, occurredAt: new Date().toISOString() });
      // Stop at the first refusal: what was not sent stays on the sheet.
      if (!result.ok) break;
      sent++;
      sheet.set((previous) => Object.fromEntries(Object.entries(previous).filter(([id]) => id !== count.productID)));
    }
    if (sent > 0) setSubmitted(`${sent} count${sent === 1 ? '' : 's'} submitted`);
  };

  if (bin === undefined) return <p className="muted">Loading the bin…</p>;
  if (bin === null) return <p className="error">This bin is not in your warehouse.</p>;
  const lines = Object.entries(sheet.value);
  const invalidCount = Object.keys(invalid).filter((id) => sheet.value[id]).length;
  const notCounted = bin.items.filter((item) => !sheet.value[item.id]);

  return (
    <>
      <header className="screen-header">
        <button type="button" onClick={() => go('count')}>
          ‹ Bins
        </button>
        <h1>Count bin {bin.code}</h1>
        <span className="muted">zone {bin.zone}</span>
      </header>
      <ScanField label="Scan item" onScan={onScan} feedback={feedback} />
      <section aria-label="Count sheet">
        <h2>Counted</h2>
        {lines.length === 0 ? (
          <p className="muted">Scan each unit in the bin, or pick an item below and type how many there are.</p>
        ) : (
          <ul className="list">
            {lines.map(([productID, line]) => (
              <li key={productID}>
                <div className="row">
                  <span>
                    {line.name}
                    <br />
                    <span className="muted small">{line.sku}</span>
                  </span>
                  <span className="stepper">
                    <QuantityInput
                      label={`Count of ${line.name}`}
                      invalid={Boolean(invalid[productID])}
                      value={line.qty}
                      onChange={(qty) => sheet.set((previous) => ({ ...previous, [productID]: { ...line, qty } }))}
                      onScan={onScan}
                    />
                    <button type="button" aria-label={`Remove ${line.name}`} onClick={() => sheet.set((previous) => Object.fromEntries(Object.entries(previous).filter(([id]) => id !== productID)))}>
                      ✕
                    </button>
                  </span>
                </div>
                {invalid[productID] && sheet.value[productID] && (
                  <p className="error small field-error" role="alert">
                    {line.name}: {invalid[productID]}
                  </p>
                )}
              </li>
            ))}
          </ul>
        )}
        {invalidCount > 0 && (
          <p className="error" role="alert">
            Fix the counts marked in red: nothing was sent.
          </p>
        )}
        {sheet.unsaved && <p className="notice">This device could not save the sheet: submit it before closing the app.</p>}
        <div className="toolbar">
          <button type="button" className="primary" disabled={lines.length === 0 || pending} onClick={() => void submit()}>
            Submit count{lines.length > 1 ? `s (${lines.length})` : ''}
          </button>
          {submitted && <span role="status">{submitted}</span>}
        </div>
        <MutationError error={mutationError} />
      </section>
      {notCounted.length > 0 && (
        <details>
          <summary>Items recorded in this bin, not counted yet ({notCounted.length})</summary>
          <ul className="list">
            {notCounted.map((item) => (
              <li key={item.id}>
                <button type="button" onClick={() => add(item, 0)} aria-label={`Count ${item.name}`}>
                  <span>
                    {item.name} <span className="muted small">{item.sku}</span>
                  </span>
                  <span>Count</span>
                </button>
              </li>
            ))}
          </ul>
        </details>
      )}
      <section aria-label="Counts of this bin">
        <h2>Counts of this bin</h2>
        {bin.counts.length === 0 ? (
          <p className="muted">No counts yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Item</th>
                <th>Counted</th>
                <th>Status</th>
                <th>Variance</th>
              </tr>
            </thead>
            <tbody>
              {bin.counts.map((line) => (
                <tr key={line.id} data-testid="count-line">
                  <td>
                    {line.name}
                    <br />
                    <span className="muted small">{new Date(line.occurredAt).toLocaleString()}</span>
                  </td>
                  <td>{line.counted}</td>
                  <td>
                    <span className={`badge ${line.status === 'pending' ? 'pending' : line.status}`}>{countStatusLabel[line.status] ?? line.status}</span>
                  </td>
                  <td>{line.status !== 'pending' && line.variance !== null ? (line.variance > 0 ? `+${line.variance}` : String(line.variance)) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
