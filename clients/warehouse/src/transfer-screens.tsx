/**
 * Transfers between warehouses. Outgoing (from the picker's warehouse): scan the lines out, then
 * `transfer.ship`. Incoming: scan the lines in, then `transfer.receive`; a received quantity other
 * than the shipped one is a discrepancy, shown on the line before and after it is sent. Quantities
 * in progress are kept in localStorage.
 */
import { go, MutationError, useDevice } from '@niaga/app-kit';
import type { StoreTx } from '@niaga/sync';
import { useLiveQuery, useMutator } from '@niaga/sync/react';
import { useCallback, useState } from 'react';
import { findProductByCode, num, productsByID, queuedTransfers, text } from './catalog.ts';
import { QuantityInput } from './quantity-input.tsx';
import { ScanField, scanFailure, useScanFeedback } from './scan-field.tsx';
import { maxQuantity, parseQuantity } from './scan-rules.ts';
import { useSavedWork } from './saved-work.ts';

const transferTables = ['inventory.transfers', 'inventory.transfer_lines', 'inventory.warehouses', 'catalog.products', 'sync.clients'];

interface TransferSummary {
  readonly id: string;
  readonly direction: 'out' | 'in';
  readonly other: string;
  readonly status: string;
  readonly note: string;
  readonly lines: number;
  readonly units: number;
  /** Still to ship (outgoing) or to receive (incoming) on this device. */
  readonly actionable: boolean;
  readonly queued: boolean;
  readonly createdAt: string;
}

async function warehouseCodes(tx: StoreTx): Promise<Map<string, string>> {
  return new Map((await tx.list('inventory.warehouses', {})).map((row) => [text(row.id), `${text(row.code)} ${text(row.name)}`]));
}

async function readTransfers(tx: StoreTx, myWarehouse: string): Promise<TransferSummary[]> {
  const codes = await warehouseCodes(tx);
  const queued = await queuedTransfers(tx);
  const summaries: TransferSummary[] = [];
  for (const transfer of await tx.list('inventory.transfers', {})) {
    const id = text(transfer.id);
    const direction = text(transfer.from_warehouse_id) === myWarehouse ? 'out' : 'in';
    const lines = await tx.list('inventory.transfer_lines', { transfer_id: id });
    const done = direction === 'out' ? Boolean(transfer.shipped_at) : Boolean(transfer.received_at);
    summaries.push({
      id,
      direction,
      other: codes.get(text(direction === 'out' ? transfer.to_warehouse_id : transfer.from_warehouse_id)) ?? 'another warehouse',
      status: text(transfer.status),
      note: text(transfer.note),
      lines: lines.length,
      units: lines.reduce((sum, line) => sum + num(line.quantity), 0),
      actionable: !done && transfer.status !== 'cancelled',
      queued: queued.has(id),
      createdAt: text(transfer.created_at),
    });
  }
  return summaries.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export function TransfersScreen() {
  const { store, actor } = useDevice();
  const myWarehouse = actor.warehouse_id ?? '';
  const { data: transfers } = useLiveQuery(store, (tx) => readTransfers(tx, myWarehouse), transferTables, [myWarehouse]);
  if (!transfers) return <p className="muted">Loading transfers…</p>;
  const toShip = transfers.filter((transfer) => transfer.actionable && transfer.direction === 'out');
  const toReceive = transfers.filter((transfer) => transfer.actionable && transfer.direction === 'in');
  const rest = transfers.filter((transfer) => !transfer.actionable);
  return (
    <>
      <h1>Transfers</h1>
      <TransferList title="To ship" empty="Nothing to ship." transfers={toShip} />
      <TransferList title="To receive" empty="Nothing on its way here." transfers={toReceive} />
      <TransferList title="Done" empty="No transfers yet." transfers={rest} />
    </>
  );
}

function TransferList(props: { readonly title: string; readonly empty: string; readonly transfers: readonly TransferSummary[] }) {
  return (
    <section aria-label={props.title}>
      <h2>{props.title}</h2>
      {props.transfers.length === 0 ? (
        <p className="muted">{props.empty}</p>
      ) : (
        <ul className="list">
          {props.transfers.map((transfer) => (
            <li key={transfer.id}>
              <button type="button" onClick={() => go('transfers', transfer.id)}>
                <span>
                  <strong>{transfer.direction === 'out' ? `To ${transfer.other}` : `From ${transfer.other}`}</strong>
                  <span className="muted small">
                    {' '}
                    · {transfer.lines} lines · {transfer.units} units{transfer.note ? ` · ${transfer.note}` : ''}
                  </span>
                </span>
                <span>
                  {transfer.queued && <span className="badge pending">waiting to send</span>} <span className={`badge ${transfer.status}`}>{transfer.status}</span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

interface TransferLineView {
  readonly productID: string;
  readonly name: string;
  readonly sku: string;
  readonly quantity: number;
  readonly shippedQty: number;
  readonly receivedQty: number;
}

interface TransferView {
  readonly end: 'ship' | 'receive';
  readonly other: string;
  readonly status: string;
  readonly note: string;
  readonly shipped: boolean;
  readonly received: boolean;
  readonly queued: boolean;
  readonly lines: readonly TransferLineView[];
}

async function readTransfer(tx: StoreTx, transferID: string, myWarehouse: string): Promise<TransferView | null> {
  const transfer = await tx.get('inventory.transfers', transferID);
  if (!transfer) return null;
  const codes = await warehouseCodes(tx);
  const end = text(transfer.from_warehouse_id) === myWarehouse ? 'ship' : 'receive';
  const rows = await tx.list('inventory.transfer_lines', { transfer_id: transferID });
  const products = await productsByID(tx, rows.map((row) => text(row.product_id)));
  return {
    end,
    other: codes.get(text(end === 'ship' ? transfer.to_warehouse_id : transfer.from_warehouse_id)) ?? 'another warehouse',
    status: text(transfer.status),
    note: text(transfer.note),
    shipped: Boolean(transfer.shipped_at),
    received: Boolean(transfer.received_at),
    queued: (await queuedTransfers(tx)).has(transferID),
    lines: rows
      .map((row) => ({
        productID: text(row.product_id),
        name: products.get(text(row.product_id))?.name ?? 'Unknown product',
        sku: products.get(text(row.product_id))?.sku ?? '',
        quantity: num(row.quantity),
        shippedQty: num(row.shipped_qty),
        receivedQty: num(row.received_qty),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** Product id → the quantity as typed or scanned. */
type MoveSheet = Readonly<Record<string, string>>;
const emptyMoveSheet: MoveSheet = {};

/** How a moved quantity compares with what it should be: for receiving, what was shipped (or planned, if not shipped yet). */
function difference(qty: number, against: number): string | undefined {
  if (qty === against) return undefined;
  return qty < against ? `${against - qty} short` : `${qty - against} over`;
}

export function TransferScreen(props: { readonly transferID: string }) {
  const { store, client, actor } = useDevice();
  const { transferID } = props;
  const myWarehouse = actor.warehouse_id ?? '';
  const { data: transfer } = useLiveQuery(store, (tx) => readTransfer(tx, transferID, myWarehouse), transferTables, [transferID, myWarehouse]);
  const sheet = useSavedWork<MoveSheet>(`transfer:${transferID}`, emptyMoveSheet);
  const [feedback, report] = useScanFeedback();
  const { mutate, error: mutationError, pending } = useMutator(client);
  const [invalid, setInvalid] = useState<Readonly<Record<string, string>>>({});

  const onScan = useCallback(
    (code: string) => {
      void store
        .transaction((tx) => findProductByCode(tx, code))
        .then((product) => {
          if (!product) return report('error', `No product has barcode ${code}`);
          const line = transfer?.lines.find((candidate) => candidate.productID === product.id);
          if (!line) return report('error', `${product.name} (${product.sku}) is not on this transfer`);
          let total = 0;
          sheet.set((previous) => {
            const parsed = parseQuantity(previous[product.id] ?? '0', 0, maxQuantity);
            total = (parsed.ok ? parsed.value : 0) + 1;
            return { ...previous, [product.id]: String(total) };
          });
          report('ok', `${product.name}: ${total}`);
        })
        .catch((error: unknown) => report('error', scanFailure(code, error)));
    },
    [store, transfer, sheet, report],
  );

  if (transfer === undefined) return <p className="muted">Loading the transfer…</p>;
  if (transfer === null) return <p className="error">This transfer is not on this device.</p>;
  const done = transfer.end === 'ship' ? transfer.shipped : transfer.received;
  const open = !done && !transfer.queued && transfer.status !== 'cancelled';
  const verb = transfer.end === 'ship' ? 'Ship' : 'Receive';
  /** What a line is measured against: the plan when shipping; what was shipped when receiving (the plan if not shipped yet). */
  const target = (line: TransferLineView) => (transfer.end === 'receive' && transfer.shipped ? line.shippedQty : line.quantity);
  const entered = (line: TransferLineView) => {
    const parsed = parseQuantity(sheet.value[line.productID] ?? '0', 0, maxQuantity);
    return parsed.ok ? parsed.value : undefined;
  };
  const discrepancies = transfer.lines.filter((line) => {
    const qty = entered(line);
    return qty !== undefined && qty !== target(line);
  }).length;

  const submit = async () => {
    const problems: Record<string, string> = {};
    const lines: { productID: string; qty: number }[] = [];
    for (const line of transfer.lines) {
      const parsed = parseQuantity(sheet.value[line.productID] ?? '0', 0, maxQuantity);
      if (parsed.ok) lines.push({ productID: line.productID, qty: parsed.value });
      else problems[line.productID] = parsed.message;
    }
    setInvalid(problems);
    if (Object.keys(problems).length > 0) return;
    const result = await mutate(transfer.end === 'ship' ? 'transfer.ship' : 'transfer.receive', { transferID, lines, occurredAt: new Date().toISOString() });
    if (result.ok) sheet.clear();
  };

  return (
    <>
      <header className="screen-header">
        <button type="button" onClick={() => go('transfers')}>
          ‹ Transfers
        </button>
        <h1>{transfer.end === 'ship' ? `Transfer to ${transfer.other}` : `Transfer from ${transfer.other}`}</h1>
        <span className={`badge ${transfer.status}`} data-testid="transfer-status">
          {transfer.status}
        </span>
        {transfer.queued && <span className="badge pending">waiting to send</span>}
      </header>
      {transfer.note && <p className="muted">{transfer.note}</p>}
      {open && <ScanField label="Scan item" onScan={onScan} feedback={feedback} />}
      {transfer.end === 'receive' && !transfer.shipped && !transfer.received && <p className="notice">Not shipped yet as far as this device knows: received quantities are compared with the plan.</p>}
      <table aria-label="Transfer lines">
        <thead>
          <tr>
            <th>Item</th>
            <th>Planned</th>
            {transfer.end === 'receive' && <th>Shipped</th>}
            <th>{open ? (transfer.end === 'ship' ? 'Shipping' : 'Receiving') : transfer.end === 'ship' ? 'Shipped' : 'Received'}</th>
          </tr>
        </thead>
        <tbody>
          {transfer.lines.map((line) => {
            const qty = open ? entered(line) : transfer.end === 'ship' ? line.shippedQty : line.receivedQty;
            // After both ends are known, the line's discrepancy is received against shipped.
            const off = qty === undefined ? undefined : open ? difference(qty, target(line)) : transfer.end === 'receive' || transfer.received ? difference(line.receivedQty, line.shippedQty) : undefined;
            return (
              <tr key={line.productID} className={off ? 'discrepancy' : undefined}>
                <td>
                  {line.name}
                  <br />
                  <span className="muted small">{line.sku}</span>
                </td>
                <td>{line.quantity}</td>
                {transfer.end === 'receive' && <td>{transfer.shipped ? line.shippedQty : '—'}</td>}
                <td>
                  {open ? (
                    <QuantityInput
                      placeholder="0"
                      label={`${verb} quantity of ${line.name}`}
                      invalid={Boolean(invalid[line.productID])}
                      value={sheet.value[line.productID] ?? ''}
                      onChange={(value) => sheet.set((previous) => ({ ...previous, [line.productID]: value }))}
                      onScan={onScan}
                    />
                  ) : (
                    qty
                  )}
                  {off && <span className="badge discrepancy">{off}</span>}
                  {invalid[line.productID] && (
                    <p className="error small" role="alert">
                      {invalid[line.productID]}
                    </p>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {open && (
        <div className="toolbar">
          <button type="button" className="primary" disabled={pending} onClick={() => void submit()}>
            {verb}
            {discrepancies > 0 ? ` with ${discrepancies} discrepanc${discrepancies === 1 ? 'y' : 'ies'}` : ''}
          </button>
        </div>
      )}
      <MutationError error={mutationError} />
    </>
  );
}
