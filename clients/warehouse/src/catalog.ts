/** Looking rows up by what a picker scans or reads off a label. */
import type { LocalRow, StoreTx } from '@niaga/sync';
import type { ScannedProduct } from './scan-rules.ts';

/** A column value as text (ids, codes and timestamps arrive as strings; numbers as numbers). */
export function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return value === null || value === undefined ? '' : JSON.stringify(value);
}
export const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value ?? 0));

export function productOf(row: LocalRow): ScannedProduct {
  return { id: text(row.id), sku: text(row.sku), name: text(row.name), barcode: row.barcode === null || row.barcode === undefined ? null : text(row.barcode) };
}

/** The product whose barcode or SKU is `code` (as the pick mutator matches them), if any. */
export async function findProductByCode(tx: StoreTx, code: string): Promise<ScannedProduct | undefined> {
  if (code === '') return undefined;
  const [byBarcode] = await tx.list('catalog.products', { barcode: code }, { limit: 1 });
  if (byBarcode) return productOf(byBarcode);
  const [bySku] = await tx.list('catalog.products', { sku: code }, { limit: 1 });
  return bySku ? productOf(bySku) : undefined;
}

/** Products by id, each read once. */
export async function productsByID(tx: StoreTx, ids: Iterable<string>): Promise<Map<string, ScannedProduct>> {
  const found = new Map<string, ScannedProduct>();
  for (const id of new Set(ids)) {
    const row = await tx.get('catalog.products', id);
    if (row) found.set(id, productOf(row));
  }
  return found;
}

/** The ids of the pick lines whose confirmation waits in this device's queue (not yet confirmed by the server). */
export async function queuedPickLines(tx: StoreTx): Promise<Set<string>> {
  const queued = new Set<string>();
  for (const mutation of await tx.listPending()) {
    if (mutation.name !== 'pick.confirm') continue;
    const args = mutation.args as { pickLineID?: unknown };
    if (typeof args.pickLineID === 'string') queued.add(args.pickLineID);
  }
  return queued;
}

/** The transfers whose ship or receive waits in this device's queue. */
export async function queuedTransfers(tx: StoreTx): Promise<Set<string>> {
  const queued = new Set<string>();
  for (const mutation of await tx.listPending()) {
    if (mutation.name !== 'transfer.ship' && mutation.name !== 'transfer.receive') continue;
    const args = mutation.args as { transferID?: unknown };
    if (typeof args.transferID === 'string') queued.add(args.transferID);
  }
  return queued;
}
