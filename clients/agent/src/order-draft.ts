/**
 * The order being entered, kept in localStorage on every change: a reload, a crash or a dead
 * battery mid-order loses nothing.
 */
import { useEffect, useState } from 'react';

export interface DraftLine {
  readonly productID: string;
  readonly name: string;
  readonly sku: string;
  readonly unitPrice: number;
  readonly currency: string;
  readonly qty: number;
}

export interface OrderDraft {
  readonly customerID: string | null;
  readonly warehouseID: string | null;
  readonly lines: readonly DraftLine[];
  readonly note: string;
}

export const MAX_QTY = 100_000;
const KEY = 'niaga-agent:order-draft';
const blank: OrderDraft = { customerID: null, warehouseID: null, lines: [], note: '' };

function load(): OrderDraft {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? 'null') as OrderDraft | null;
    return saved && Array.isArray(saved.lines) ? saved : blank;
  } catch {
    return blank;
  }
}

export function useOrderDraft(): [OrderDraft, (change: Partial<OrderDraft>) => void, () => void] {
  const [draft, setDraft] = useState<OrderDraft>(load);
  useEffect(() => {
    localStorage.setItem(KEY, JSON.stringify(draft));
  }, [draft]);
  return [draft, (change) => setDraft((current) => ({ ...current, ...change })), () => setDraft(blank)];
}

/** A quantity as typed, kept within what an order line may hold. */
export function clampQty(value: number): number {
  if (!Number.isFinite(value)) return 1;
  return Math.min(MAX_QTY, Math.max(1, Math.round(value)));
}
