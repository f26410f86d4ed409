/**
 * Pick lists of the picker's warehouse, and scan-to-pick: the lines in walking (bin) order, the
 * line in hand on top, one scan per unit; a wrong item is refused with a buzz and a red message;
 * when the line's quantity is reached (or the picker confirms a short pick) `pick.confirm` is
 * queued. Units scanned but not yet confirmed are kept in localStorage.
 */
import { go, MutationError, useDevice } from '@niaga/app-kit';
import type { LocalRow, StoreTx } from '@niaga/sync';
import { useLiveQuery, useMutator } from '@niaga/sync/react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { findProductByCode, num, productsByID, queuedPickLines, text } from './catalog.ts';
import { QuantityInput } from './quantity-input.tsx';
import { ScanField, scanFailure, useScanFeedback } from './scan-field.tsx';
import { judgePickScan, parseQuantity } from './scan-rules.ts';
import { useSavedWork } from './saved-work.ts';

const errorText = (error: unknown): string => (error instanceof Error ? error.message : text(error));

const pickTables = ['orders.pick_lists', 'orders.pick_lines', 'orders.orders', 'catalog.products', 'sync.clients'];
const statusRank: Readonly<Record<string, number>> = { in_progress: 0, open: 1, completed: 2, cancelled: 3 };
const statusLabel: Readonly<Record<string, string>> = { in_progress: 'in progress', open: 'open', completed: 'completed', cancelled: 'cancelled', pending: 'to pick', picked: 'picked', short: 'short' };

interface PickListSummary {
  readonly id: string;
  readonly status: string;
  readonly orderNumber: string;
  readonly lines: number;
  readonly linesDone: number;
  readonly units: number;
  readonly waiting: number;
  readonly firstBin: string;
  readonly createdAt: string;
}

const byBin = (a: LocalRow, b: LocalRow) => num(a.bin_sort_order) - num(b.bin_sort_order) || text(a.bin_code).localeCompare(text(b.bin_code)) || text(a.id).localeCompare(text(b.id));

async function readPickLists(tx: StoreTx): Promise<PickListSummary[]> {
  const queued = await queuedPickLines(tx);
  const summaries: PickListSummary[] = [];
  for (const list of await tx.list('orders.pick_lists', {})) {
    const lines = (await tx.list('orders.pick_lines', { pick_list_id: text(list.id) })).sort(byBin);
    const order = await tx.get('orders.orders', text(list.order_id));
    summaries.push({
      id: text(list.id),
      status: text(list.status),
      orderNumber: order ? text(order.number) : `Pick list ${text(list.id).slice(0, 8)}`,
      lines: lines.length,
      linesDone: lines.filter((line) => line.status !== 'pending').length,
      units: lines.reduce((sum, line) => sum + num(line.qty), 0),
      waiting: lines.filter((line) => queued.has(text(line.id))).length,
      firstBin: text(lines.find((line) => line.status === 'pending')?.bin_code ?? lines[0]?.bin_code),
      createdAt: text(list.created_at),
    });
  }
  return summaries.sort((a, b) => (statusRank[a.status] ?? 9) - (statusRank[b.status] ?? 9) || a.createdAt.localeCompare(b.createdAt));
}

export function PickListsScreen() {
  const { store } = useDevice();
  const { data: lists, error } = useLiveQuery(store, readPickLists, pickTables);
  if (error) return <p className="error">The pick lists could not be read: {errorText(error)}</p>;
  if (!lists) return <p className="muted">Loading pick lists…</p>;
  const open = lists.filter((list) => list.status === 'open' || list.status === 'in_progress');
  const done = lists.filter((list) => !open.includes(list));
  return (
    <>
      <h1>Pick lists</h1>
      {open.length === 0 && <p className="muted">Nothing to pick: every list of this warehouse is done.</p>}
      <PickListList label="To pick" lists={open} />
      {done.length > 0 && (
        <>
          <h2>Done</h2>
          <PickListList label="Done" lists={done} />
        </>
      )}
    </>
  );
}

function PickListList(props: { readonly label: string; readonly lists: readonly PickListSummary[] }) {
  return (
    <ul className="list" aria-label={props.label}>
      {props.lists.map((list) => (
        <li key={list.id}>
          <button type="button" onClick={() => go('picks', list.id)} aria-label={`${list.orderNumber}, ${statusLabel[list.status] ?? list.status}`}>
            <span>
              <strong>{list.orderNumber}</strong>
              <span className="muted small">
                {' '}
                · {list.linesDone}/{list.lines} lines · {list.units} units{list.firstBin ? ` · from bin ${list.firstBin}` : ''}
              </span>
            </span>
            <span>
              {list.waiting > 0 && <span className="badge pending">{list.waiting} waiting to send</span>} <span className={`badge ${list.status}`}>{statusLabel[list.status] ?? list.status}</span>
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}

interface PickLineView {
  readonly id: string;
  readonly productID: string;
  readonly name: string;
  readonly sku: string;
  readonly barcode: string | null;
  readonly binCode: string;
  readonly qty: number;
  readonly pickedQty: number;
  readonly status: string;
  /** Its pick.confirm waits in this device's queue. */
  readonly queued: boolean;
}

interface PickListView {
  readonly id: string;
  readonly status: string;
  readonly orderNumber: string;
  readonly lines: readonly PickLineView[];
}

async function readPickList(tx: StoreTx, pickListID: string): Promise<PickListView | null> {
  const list = await tx.get('orders.pick_lists', pickListID);
  if (!list) return null;
  const queued = await queuedPickLines(tx);
  const rows = (await tx.list('orders.pick_lines', { pick_list_id: pickListID })).sort(byBin);
  const products = await productsByID(tx, rows.map((row) => text(row.product_id)));
  const order = await tx.get('orders.orders', text(list.order_id));
  return {
    id: pickListID,
    status: text(list.status),
    orderNumber: order ? text(order.number) : `Pick list ${pickListID.slice(0, 8)}`,
    lines: rows.map((row) => {
      const product = products.get(text(row.product_id));
      return {
        id: text(row.id),
        productID: text(row.product_id),
        name: product?.name ?? 'Unknown product',
        sku: product?.sku ?? '',
        barcode: product?.barcode ?? null,
        binCode: text(row.bin_code),
        qty: num(row.qty),
        pickedQty: num(row.picked_qty),
        status: text(row.status),
        queued: queued.has(text(row.id)),
      };
    }),
  };
}

/** Per line: units scanned so far and the code that matched (sent with the confirmation). */
type PickProgress = Readonly<Record<string, { readonly scanned: number; readonly code: string }>>;
const noProgress: PickProgress = {};

export function PickListScreen(props: { readonly pickListID: string }) {
  const { store, client } = useDevice();
  const { pickListID } = props;
  const { data: list, error: readError } = useLiveQuery(store, (tx) => readPickList(tx, pickListID), pickTables, [pickListID]);
  const progress = useSavedWork<PickProgress>(`pick:${pickListID}`, noProgress);
  const { mutate, error: mutationError } = useMutator(client);
  const [feedback, report] = useScanFeedback();
  const [typed, setTyped] = useState<string | undefined>(undefined);
  const [quantityError, setQuantityError] = useState<string | undefined>(undefined);
  /**
   * Lines this page has confirmed (or is confirming): the live query may not show it yet, and a
   * line is never confirmed twice (the mutator would refuse it too).
   */
  const confirming = useRef(new Set<string>());
  const latest = useRef<{ list: PickListView | null | undefined; progress: PickProgress }>({ list, progress: progress.value });
  useEffect(() => {
    latest.current = { list, progress: progress.value };
    // Once the store shows a confirmation, it speaks for itself (and a line the server sent back to pending shows again).
    for (const line of list?.lines ?? []) if (line.status !== 'pending' || line.queued) confirming.current.delete(line.id);
  });
  /** Scans are judged one after another, each against the state the previous one left. */
  const chain = useRef<Promise<void>>(Promise.resolve());

  const currentOf = (view: PickListView | null | undefined) => view?.lines.find((line) => line.status === 'pending' && !line.queued && !confirming.current.has(line.id));

  const confirm = useCallback(
    async (line: PickLineView, qty: number, scannedCode: string | undefined) => {
      if (confirming.current.has(line.id)) return;
      confirming.current.add(line.id);
      const result = await mutate('pick.confirm', { pickLineID: line.id, qty, ...(scannedCode === undefined ? {} : { scannedCode }), occurredAt: new Date().toISOString() });
      if (!result.ok) {
        confirming.current.delete(line.id);
        report('error', `Not confirmed: ${result.error.message}`);
        return;
      }
      progress.set((previous) => Object.fromEntries(Object.entries(previous).filter(([id]) => id !== line.id)));
      setTyped(undefined);
      setQuantityError(undefined);
      report('ok', qty === line.qty ? `Picked ${qty} × ${line.name}` : `Short pick: ${qty} of ${line.qty} × ${line.name}`);
    },
    [mutate, progress, report],
  );

  const onScan = useCallback(
    (code: string) => {
      const judge = async () => {
        const product = await store.transaction((tx) => findProductByCode(tx, code));
        const { list: view, progress: saved } = latest.current;
        const line = currentOf(view);
        if (!line) {
          report('error', product ? `Nothing left to pick on this list (scanned ${product.name})` : `No product has barcode ${code}`);
          return;
        }
        const scanned = saved[line.id]?.scanned ?? 0;
        const verdict = judgePickScan({ productID: line.productID, productName: line.name, sku: line.sku, qty: line.qty, scanned, done: false }, code, product);
        if (verdict.kind === 'refused') {
          // Walking order: a product of a later line waits until its bin comes.
          const later = verdict.reason === 'wrong-item' ? view?.lines.find((other) => other.productID === product?.id && other.status === 'pending' && !other.queued) : undefined;
          report('error', later ? `${verdict.message}. It is on this list later, at bin ${later.binCode}.` : verdict.message);
          return;
        }
        const next = { ...saved, [line.id]: { scanned: verdict.scanned, code } };
        latest.current = { list: view, progress: next };
        progress.set(next);
        setTyped(undefined);
        setQuantityError(undefined);
        if (verdict.complete) {
          await confirm(line, verdict.scanned, code);
        } else {
          report('ok', `${line.name}: ${verdict.scanned} of ${line.qty} scanned`);
        }
      };
      // A scan that fails must not stop the ones after it.
      chain.current = chain.current.then(judge).catch((error: unknown) => report('error', scanFailure(code, error)));
    },
    [store, progress, report, confirm],
  );

  if (readError) return <p className="error">The pick list could not be read: {errorText(readError)}</p>;
  if (list === undefined) return <p className="muted">Loading the pick list…</p>;
  if (list === null) {
    return (
      <>
        <p className="error">This pick list is not on this device (it may have been reassigned to another warehouse).</p>
        <button type="button" onClick={() => go('picks')}>
          Back to pick lists
        </button>
      </>
    );
  }

  const current = currentOf(list);
  const scanned = current ? (progress.value[current.id]?.scanned ?? 0) : 0;
  const scannedCode = current ? progress.value[current.id]?.code : undefined;
  const linesDone = list.lines.filter((line) => line.status !== 'pending' || line.queued).length;

  const confirmTyped = () => {
    if (!current || !scannedCode) return;
    const parsed = parseQuantity(typed ?? String(scanned), 0, current.qty);
    if (!parsed.ok) {
      setQuantityError(parsed.message);
      return;
    }
    setQuantityError(undefined);
    void confirm(current, parsed.value, scannedCode);
  };

  return (
    <>
      <header className="screen-header">
        <button type="button" onClick={() => go('picks')}>
          ‹ Pick lists
        </button>
        <h1>{list.orderNumber}</h1>
        <span className={`badge ${list.status}`} data-testid="pick-list-status">
          {statusLabel[list.status] ?? list.status}
        </span>
        <span className="muted">
          {linesDone} of {list.lines.length} lines done
        </span>
      </header>
      <ScanField label="Scan item" onScan={onScan} feedback={feedback} />
      {current ? (
        <section className="current-line" aria-label="Line to pick">
          <p className="bin-code" aria-label="Bin">
            {current.binCode || 'No bin'}
          </p>
          <p className="product-name">{current.name}</p>
          <p className="muted">
            SKU {current.sku}
            {current.barcode ? ` · barcode ${current.barcode}` : ''}
          </p>
          <p className="scan-progress" data-testid="scan-progress">
            Scanned {scanned} of {current.qty}
          </p>
          <div className="toolbar">
            <label className="inline">
              Quantity picked
              <span className="stepper">
                <button type="button" aria-label="One less" disabled={!scannedCode} onClick={() => setTyped(String(Math.max(0, Number(typed ?? scanned) - 1 || 0)))}>
                  −
                </button>
                <QuantityInput label="Quantity picked" disabled={!scannedCode} value={typed ?? String(scanned)} onChange={setTyped} onScan={onScan} onEnter={confirmTyped} />
                <button type="button" aria-label="One more" disabled={!scannedCode} onClick={() => setTyped(String(Math.min(current.qty, (Number(typed ?? scanned) || 0) + 1)))}>
                  +
                </button>
              </span>
            </label>
            <button type="button" className="primary" disabled={!scannedCode} onClick={confirmTyped}>
              Confirm
            </button>
            <button
              type="button"
              className="warn"
              onClick={() => {
                // Nothing in the bin: no item to scan, nothing leaves the shelf (a short pick of 0).
                void confirm(current, 0, undefined);
              }}
              disabled={scanned > 0}
            >
              Bin empty
            </button>
          </div>
          {!scannedCode && <p className="muted small">Scan the item first: its quantity can be typed after the first scan.</p>}
          {quantityError && (
            <p role="alert" className="error">
              {quantityError}
            </p>
          )}
        </section>
      ) : (
        <p className="notice" role="status">
          Every line of this list is picked.{' '}
          <button type="button" onClick={() => go('picks')}>
            Back to pick lists
          </button>
        </p>
      )}
      <MutationError error={mutationError} />
      <table aria-label="Pick lines">
        <thead>
          <tr>
            <th>Bin</th>
            <th>Item</th>
            <th>Qty</th>
            <th>Picked</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {list.lines.map((line) => (
            <tr key={line.id} aria-current={line.id === current?.id ? 'step' : undefined} className={line.id === current?.id ? 'current' : undefined}>
              <td>{line.binCode}</td>
              <td>
                {line.name}
                <br />
                <span className="muted small">{line.sku}</span>
              </td>
              <td>{line.qty}</td>
              <td>{line.status === 'pending' ? (progress.value[line.id]?.scanned ?? 0) : line.pickedQty}</td>
              <td>
                <span className={`badge ${line.status}`}>{statusLabel[line.status] ?? line.status}</span>
                {line.queued && <span className="badge pending"> waiting to send</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
