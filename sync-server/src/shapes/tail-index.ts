/**
 * The in-memory tail's entries per table and, for the columns role rules filter on (warehouse_id,
 * agent_id, …), per value. A live read of a scoped shape then looks only at the entries whose old
 * or new row has its scope value, not at every change to the table: with a thousand pickers of a
 * hundred warehouses, each read sees its own warehouse's changes. Entries stay in log order.
 */
import type { LogEntry } from './change-messages.ts';
import type { IndexKeys } from './shape-index.ts';

export interface TailEntry extends LogEntry {
  readonly table: string;
}

const keyOf = (column: string, value: string) => `${column}\u0000${value.toLowerCase()}`;

/** Merges lists already in (lsn, op) order, dropping entries present in several. */
function mergeInLogOrder(lists: readonly (readonly TailEntry[])[]): TailEntry[] {
  const merged = new Set<TailEntry>();
  for (const list of lists) for (const entry of list) merged.add(entry);
  return [...merged].sort((a, b) => (a.lsn === b.lsn ? a.op - b.op : a.lsn < b.lsn ? -1 : 1));
}

export class TailIndex {
  private readonly byTable = new Map<string, TailEntry[]>();
  private readonly byScope = new Map<string, Map<string, TailEntry[]>>();

  /** `scopeColumns(table)`: the columns role rules of that table compare with a claim or constant. */
  constructor(private readonly scopeColumns: (table: string) => readonly string[]) {}

  add(entry: TailEntry): void {
    const list = this.byTable.get(entry.table) ?? [];
    this.byTable.set(entry.table, list);
    list.push(entry);
    const columns = this.scopeColumns(entry.table);
    if (columns.length === 0) return;
    const byKey = this.byScope.get(entry.table) ?? new Map<string, TailEntry[]>();
    this.byScope.set(entry.table, byKey);
    const keys = new Set<string>();
    for (const column of columns) {
      for (const row of [entry.oldRow, entry.newRow]) {
        const value = row?.[column];
        if (value !== null && value !== undefined) keys.add(keyOf(column, value));
      }
    }
    for (const key of keys) {
      const scoped = byKey.get(key) ?? [];
      byKey.set(key, scoped);
      scoped.push(entry);
    }
  }

  /** The entries that can concern a shape indexed under `keys` (see indexKeysOf), in log order. */
  entriesFor(table: string, keys: IndexKeys): readonly TailEntry[] {
    if (keys === 'every-row') return this.byTable.get(table) ?? [];
    // A rule column this index does not track would leave entries out: fall back to the table.
    if (keys.some(([column]) => !this.scopeColumns(table).includes(column))) return this.byTable.get(table) ?? [];
    const byKey = this.byScope.get(table);
    const lists = keys.map(([column, value]) => byKey?.get(keyOf(column, value)) ?? []);
    return lists.length === 1 ? lists[0]! : mergeInLogOrder(lists);
  }

  /** Forgets every entry at or below `lsn`. */
  dropThrough(lsn: bigint): void {
    const cut = (list: TailEntry[]) => {
      let count = 0;
      while (count < list.length && list[count]!.lsn <= lsn) count += 1;
      list.splice(0, count);
    };
    for (const [table, list] of this.byTable) {
      cut(list);
      if (list.length === 0) this.byTable.delete(table);
    }
    for (const [table, byKey] of this.byScope) {
      for (const [key, list] of byKey) {
        cut(list);
        if (list.length === 0) byKey.delete(key);
      }
      if (byKey.size === 0) this.byScope.delete(table);
    }
  }
}
