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
 * The undo of the pending mutations goes into the overlay too (each row's oldest image), so a row
 * undone and replayed is written once; the commit's rows, written to the store in between,
 * replace the overlay's images of those rows (`forget`).
 * `flush()` writes the dirty rows: one putMany and one deleteMany per table. The store's calls
 * made while a mutator runs are each in `attempt`, as the mutator's own would have been.
 */
import type { ListOptions } from '@niaga/mutators';
import type { LocalRow, PendingMutation, StoreTx } from './local-store.ts';
import { imagesBefore } from './undo-images.ts';

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

/**
 * A where clause's cache key, whatever the order of its columns (a read set kept as jsonb comes
 * back with its keys reordered), or undefined for one too unusual to cache (values not plain JSON).
 */
function whereKey(where: LocalRow): string | undefined {
  const plain = (value: unknown) => value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
  const entries = Object.entries(where).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.every(([, value]) => plain(value) || (Array.isArray(value) && value.every(plain))) ? JSON.stringify(entries) : undefined;
}

/**
 * The where clauses by table, grouped so that each group's clauses agree on every column but one;
 * `mergedWhere` of a group then matches every row any of them matches.
 */
function mergedLists(lists: readonly { table: string; where: LocalRow }[]): { table: string; wheres: LocalRow[] }[] {
  const groups = new Map<string, { table: string; wheres: LocalRow[] }>();
  const seen = new Set<string>();
  for (const { table, where } of lists) {
    const whole = whereKey(where);
    if (whole === undefined || seen.has(`${table}/${whole}`)) continue;
    seen.add(`${table}/${whole}`);
    const columns = Object.keys(where).sort();
    // The first column whose value may vary: clauses agreeing on all the others go together.
    const varying = columns.find((column) => where[column] !== null) ?? '';
    const fixed = columns.filter((column) => column !== varying).map((column) => [column, where[column]]);
    const key = JSON.stringify([table, varying, columns, fixed]);
    const group = groups.get(key);
    if (group) group.wheres.push(where);
    else groups.set(key, { table, wheres: [where] });
  }
  return [...groups.values()];
}

/** One where clause matching every row one of `wheres` (same columns, differing in one non-null column at most) matches. */
function mergedWhere(wheres: readonly LocalRow[]): LocalRow {
  const first = wheres[0]!;
  const varying = Object.keys(first).sort().find((column) => first[column] !== null);
  if (wheres.length === 1 || varying === undefined) return first;
  const values = new Map<string, unknown>();
  for (const where of wheres) for (const value of [where[varying]].flat()) values.set(JSON.stringify(value), value);
  return { ...first, [varying]: [...values.values()] };
}

const copy = (row: LocalRow | null | undefined): LocalRow | undefined => (row ? { ...row } : undefined);

export class RowOverlay implements RowAccess {
  private readonly tables = new Map<string, TableRows>();

  constructor(private readonly tx: StoreTx) {}

  /** Undoes the mutations' optimistic effects (given in id order): each row they wrote back to its oldest image. */
  async undo(mutations: readonly PendingMutation[]): Promise<void> {
    for (const [table, images] of imagesBefore(mutations)) {
      const state = this.rows(table);
      for (const [id, before] of images) {
        const stored = before ? this.tx.model.stored(table, before) : null;
        if (stored !== undefined) {
          state.known.set(id, stored);
          state.dirty.add(id);
        } else {
          // Only the store knows what it keeps of this image: it takes it now, and reads give what it kept.
          state.known.delete(id);
          state.dirty.delete(id);
          await this.tx.put(table, before!);
        }
      }
    }
  }

  /** The store's rows of these ids are newer than what the overlay holds (the commit wrote or deleted them). */
  forget(table: string, ids: Iterable<string>): void {
    const state = this.tables.get(table);
    if (!state) return;
    for (const id of ids) {
      state.known.delete(id);
      state.dirty.delete(id);
    }
  }

  /** The store's table was cleared (a refetch): nothing the overlay holds of it stands. */
  forgetTable(table: string): void {
    this.tables.delete(table);
  }

  /**
   * Reads these rows (one call per table) and the store's rows matching these where clauses: one
   * call per group of clauses that differ in one column only (asked as any of its values).
   */
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
        for (const { table, wheres } of mergedLists(lists)) {
          const state = this.rows(table);
          const keys = wheres.map(whereKey).filter((key): key is string => key !== undefined && !state.matching.has(key));
          if (keys.length === 0) continue;
          const rows = await this.tx.list(table, mergedWhere(wheres));
          for (const key of keys) state.matching.set(key, rows);
        }
      });
    } catch {
      // Only an optimisation: what was read is exact; what failed is read when a mutator asks for it (and fails there, as it would have).
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
