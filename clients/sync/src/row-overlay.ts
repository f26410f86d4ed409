/**
 * The rows a rebase's replay reads and writes, held in memory over the store, so that running the
 * replayed mutators costs a few store calls instead of several per mutator. Every answer is the
 * one the store would give at that point of a sequential replay:
 * - a row is read from the store once (or prefetched in bulk) and then known; a write makes the
 *   row known as the store would keep it (`RowModel.stored`) and dirty;
 * - a list is the store's rows matching its where clause (asked once per where clause; rows
 *   this overlay never wrote are unchanged since) with the known rows in their place, selected,
 *   ordered and limited by the store's own RowModel;
 * - where the model cannot answer exactly, the store does: a write goes to the store at once and
 *   is read back, a list first flushes its table's dirty rows.
 * `flush()` writes the dirty rows: one putMany and one deleteMany per table. The store's calls
 * made while a mutator runs are each in `attempt`, as the mutator's own would have been.
 */
import type { ListOptions } from '@niaga/mutators';
import type { LocalRow, StoreTx } from './local-store.ts';

/** What a mutator's RecordingTx reads and writes through: a StoreTx, or a RowOverlay over one. */
export type RowAccess = Pick<StoreTx, 'get' | 'list' | 'put' | 'delete' | 'attempt'>;

interface TableRows {
  /** Rows whose current image is known (null: there is none). */
  readonly known: Map<string, LocalRow | null>;
  /** Known rows not written to the store yet. */
  readonly dirty: Set<string>;
  /** The store's rows matching a where clause (by `whereKey`), as it held them when asked. */
  readonly matching: Map<string, LocalRow[]>;
}

/** A where clause's cache key, or undefined for one too unusual to cache (its values not plain JSON). */
function whereKey(where: LocalRow): string | undefined {
  const plain = (value: unknown) => value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
  const values = Object.values(where);
  return values.every((value) => plain(value) || (Array.isArray(value) && value.every(plain))) ? JSON.stringify(Object.entries(where)) : undefined;
}

const copy = (row: LocalRow | null | undefined): LocalRow | undefined => (row ? { ...row } : undefined);

export class RowOverlay implements RowAccess {
  private readonly tables = new Map<string, TableRows>();

  constructor(private readonly tx: StoreTx) {}

  /** Reads these rows (one call per table) and the store's rows matching these where clauses (one call each). */
  async prefetch(rows: readonly { table: string; id: string }[], lists: readonly { table: string; where: LocalRow }[]): Promise<void> {
    const ids = new Map<string, Set<string>>();
    for (const { table, id } of rows) {
      if (this.rows(table).known.has(id)) continue;
      let set = ids.get(table);
      if (!set) ids.set(table, (set = new Set()));
      set.add(id);
    }
    try {
      await this.tx.attempt(async () => {
        for (const [table, set] of ids) {
          const wanted = [...set];
          const found = await this.tx.getMany(table, wanted);
          wanted.forEach((id, index) => this.rows(table).known.set(id, found[index] ?? null));
        }
        for (const { table, where } of lists) {
          const key = whereKey(where);
          const state = this.rows(table);
          if (key !== undefined && !state.matching.has(key)) state.matching.set(key, await this.tx.list(table, where));
        }
      });
    } catch {
      // Only an optimisation: whatever failed is read when a mutator asks for it (and fails there, as it would have).
      this.tables.clear();
    }
  }

  async get(table: string, id: string): Promise<LocalRow | undefined> {
    const state = this.rows(table);
    if (!state.known.has(id)) state.known.set(id, (await this.store(() => this.tx.get(table, id))) ?? null);
    return copy(state.known.get(id));
  }

  async list(table: string, where: LocalRow, options: ListOptions = {}): Promise<LocalRow[]> {
    const state = this.rows(table);
    const key = whereKey(where);
    let matching = key === undefined ? undefined : state.matching.get(key);
    if (key !== undefined && !matching) state.matching.set(key, (matching = await this.store(() => this.tx.list(table, where))));
    if (matching) {
      const rows = matching.filter((row) => !state.known.has(String(row.id)));
      for (const row of state.known.values()) if (row) rows.push(row);
      const selected = this.tx.model.select(table, rows, where, options);
      if (selected) return selected.map((row) => ({ ...row }));
    }
    // Only the store can answer: it must hold this table's writes first.
    await this.flushTable(table, state);
    return this.store(() => this.tx.list(table, where, options));
  }

  async put(table: string, row: LocalRow): Promise<void> {
    const state = this.rows(table);
    const id = String(row.id);
    const stored = this.tx.model.stored(table, row);
    if (stored) {
      state.known.set(id, stored);
      state.dirty.add(id);
      return;
    }
    // Only the store knows what it keeps of this row (or whether it takes it): write it now and read it back.
    await this.store(() => this.tx.put(table, row));
    state.dirty.delete(id);
    state.known.set(id, (await this.store(() => this.tx.get(table, id))) ?? null);
  }

  async delete(table: string, id: string): Promise<void> {
    const state = this.rows(table);
    state.known.set(id, null);
    state.dirty.add(id);
  }

  /** The mutator's writes stay in memory, and the store calls made for it are each in their own attempt. */
  attempt<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  /** Writes every dirty row to the store. */
  async flush(): Promise<void> {
    for (const [table, state] of this.tables) await this.flushTable(table, state);
  }

  private async flushTable(table: string, state: TableRows): Promise<void> {
    if (state.dirty.size === 0) return;
    const puts: LocalRow[] = [];
    const deletes: string[] = [];
    for (const id of state.dirty) {
      const row = state.known.get(id);
      if (row) puts.push(row);
      else deletes.push(id);
    }
    state.dirty.clear();
    await this.tx.putMany(table, puts);
    await this.tx.deleteMany(table, deletes);
  }

  private rows(table: string): TableRows {
    let state = this.tables.get(table);
    if (!state) this.tables.set(table, (state = { known: new Map<string, LocalRow | null>(), dirty: new Set<string>(), matching: new Map<string, LocalRow[]>() }));
    return state;
  }

  /** A store call on a mutator's behalf: if it fails, the transaction stays usable, as the mutator's attempt kept it. */
  private store<T>(call: () => Promise<T>): Promise<T> {
    return this.tx.attempt(call);
  }
}
