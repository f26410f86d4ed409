/**
 * What a scan means, as pure functions (no DOM, no store): whether it is a scanner's repeat of the
 * code just read, and what it does to the pick line in hand. The screens look the product up and
 * then ask here.
 */

/** Where a code came from: a keyboard-wedge scanner (or typing) or the camera. */
export type ScanSource = 'keyboard' | 'camera';

export interface LastScan {
  readonly code: string;
  readonly at: number;
  readonly source: ScanSource;
}

/**
 * A scanner that double-reads sends the same code again within a few hundred milliseconds; a
 * camera sees the same barcode in every frame while it is in view. A person scanning the next unit
 * of the same item takes longer than either window.
 */
export const repeatWindowMs: Readonly<Record<ScanSource, number>> = { keyboard: 600, camera: 1500 };

export function isRepeat(last: LastScan | undefined, code: string, at: number, source: ScanSource): boolean {
  return last !== undefined && last.code === code && at - last.at >= 0 && at - last.at < repeatWindowMs[source];
}

/** Scanners send what the label holds; people type with stray spaces. */
export function normalizeCode(raw: string): string {
  return raw.trim();
}

export interface ScannedProduct {
  readonly id: string;
  readonly sku: string;
  readonly name: string;
  readonly barcode: string | null;
}

export interface PickLineState {
  readonly productID: string;
  readonly productName: string;
  readonly sku: string;
  /** Units to pick. */
  readonly qty: number;
  /** Units scanned so far on this device (not yet confirmed). */
  readonly scanned: number;
  /** The line is no longer pending (picked, short) or its confirmation is queued. */
  readonly done: boolean;
}

export type PickScanVerdict =
  | { readonly kind: 'counted'; readonly scanned: number; readonly complete: boolean }
  | { readonly kind: 'refused'; readonly reason: 'unknown' | 'wrong-item' | 'line-done' | 'already-full'; readonly message: string };

/** A scan of `code` (resolved to `product`, or undefined when no product has it) against the line in hand. */
export function judgePickScan(line: PickLineState, code: string, product: ScannedProduct | undefined): PickScanVerdict {
  if (!product) return { kind: 'refused', reason: 'unknown', message: `No product has barcode ${code}` };
  if (line.done) return { kind: 'refused', reason: 'line-done', message: `${line.productName} is already confirmed on this list` };
  if (product.id !== line.productID) {
    return { kind: 'refused', reason: 'wrong-item', message: `Wrong item: expected ${line.productName} (${line.sku}), scanned ${product.name} (${product.sku})` };
  }
  if (line.scanned >= line.qty) return { kind: 'refused', reason: 'already-full', message: `All ${line.qty} of ${line.productName} are scanned already` };
  const scanned = line.scanned + 1;
  return { kind: 'counted', scanned, complete: scanned === line.qty };
}

/** The largest quantity a stock count or a transfer line accepts (the mutators' limit). */
export const maxQuantity = 10_000_000;

/** A quantity typed by a person: a whole number from `min` to `max`, or why not. */
export function parseQuantity(text: string, min: number, max: number): { readonly ok: true; readonly value: number } | { readonly ok: false; readonly message: string } {
  const trimmed = text.trim();
  const message = `Enter a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`;
  if (!/^\d+$/.test(trimmed)) return { ok: false, message: trimmed === '' ? `${message} (it is empty)` : `${message}, not "${trimmed}"` };
  const value = Number(trimmed);
  if (value < min || value > max) return { ok: false, message: `${message}, not ${value.toLocaleString('en-US')}` };
  return { ok: true, value };
}
