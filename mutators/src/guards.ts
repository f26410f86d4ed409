/** Small checks every mutator needs: authorize first, then load what must exist. */
import type { Actor } from './define-mutator.ts';
import type { MutationTx, ReadableTable, Row } from './mutation-tx.ts';
import { reject } from './outcome.ts';

/** Whether the actor works in this warehouse (admins: everywhere). */
export function worksIn(actor: Actor, warehouseID: unknown): boolean {
  return actor.role === 'admin' || (actor.role === 'warehouse' && actor.warehouse_id !== null && actor.warehouse_id === warehouseID);
}

/** Admins anywhere; pickers only in their own warehouse. */
export function requireWarehouseAccess(actor: Actor, warehouseID: string): void {
  if (actor.role === 'admin') return;
  if (actor.role !== 'warehouse') reject('FORBIDDEN', `Role ${actor.role} may not change stock`);
  if (actor.warehouse_id !== warehouseID) reject('FORBIDDEN', 'You may change stock only in your own warehouse');
}

export async function requireRow(tx: MutationTx, table: ReadableTable, id: string, what: string): Promise<Row> {
  const row = await tx.get(table, id);
  return row ?? reject('NOT_FOUND', `${what} ${id} does not exist`, { table, id });
}

export function distinct<T>(items: readonly T[], key: (item: T) => string, what: string): void {
  const seen = new Set<string>();
  for (const item of items) {
    const value = key(item);
    if (seen.has(value)) reject('INVALID_ARGS', `${what} ${value} appears twice`);
    seen.add(value);
  }
}

export const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value ?? 0));

/** A timestamp column or argument as milliseconds (rows hold ISO strings in any offset). */
export const instant = (value: unknown): number => Date.parse(String(value));
