/**
 * Undoing many pending mutations at once. Undoing them one by one, newest first, leaves each row
 * as the oldest of their `before` images of it; so that image is written directly, with one
 * putMany and one deleteMany per table.
 */
import type { LocalRow, PendingMutation, StoreTx } from './local-store.ts';

/** Each row the mutations wrote, as it was before the oldest of them (null: it did not exist), by table. */
export function imagesBefore(mutations: readonly PendingMutation[]): Map<string, Map<string, LocalRow | null>> {
  const byTable = new Map<string, Map<string, LocalRow | null>>();
  for (const mutation of mutations) {
    for (const entry of mutation.undo) {
      let rows = byTable.get(entry.table);
      if (!rows) byTable.set(entry.table, (rows = new Map<string, LocalRow | null>()));
      if (!rows.has(entry.id)) rows.set(entry.id, entry.before);
    }
  }
  return byTable;
}

/** Undoes the mutations' optimistic effects (given in id order); the same end state as applyUndo of each, newest first. */
export async function undoInBulk(tx: StoreTx, mutations: readonly PendingMutation[]): Promise<void> {
  for (const [table, rows] of imagesBefore(mutations)) {
    const puts: LocalRow[] = [];
    const deletes: string[] = [];
    for (const [id, before] of rows) {
      if (before) puts.push(before);
      else deletes.push(id);
    }
    await tx.putMany(table, puts);
    await tx.deleteMany(table, deletes);
  }
}
