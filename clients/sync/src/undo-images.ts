/**
 * Undoing many pending mutations at once. Undoing them one by one, newest first, leaves each row
 * as the oldest of their `before` images of it; so that image can be written directly, once.
 */
import type { LocalRow, PendingMutation } from './local-store.ts';

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
