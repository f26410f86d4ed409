/**
 * Which pending mutations a server commit forces to undo and replay (pure). Replaying every
 * pending mutation on every commit is correct but costs a mutator run each; a mutation whose reads
 * and writes the commit cannot have changed keeps its effect. The rule, in id order:
 * - confirmed mutations (id ≤ the client's last mutation id) are always undone: the server's rows
 *   replace their effects;
 * - the first unconfirmed mutation that read or wrote a row the commit changes (or a confirmed
 *   mutation wrote, or a refetch clears), or whose `list` could match such a row, is replayed
 *   together with every mutation after it (they may have read what it wrote).
 * Mutations before that one keep their effects: nothing they read or wrote changes underneath.
 */
import type { LocalRow, PendingMutation } from './local-store.ts';

/** A table's changed images by the value of one column, so a list's predicate looks its candidates up. */
interface ColumnIndex {
  /** By the value's text (see `textOf`). */
  readonly byText: Map<string, LocalRow[]>;
  /** The value is null or undefined. */
  readonly nulls: LocalRow[];
  /** Images without the column: they might match anything. */
  readonly lacking: LocalRow[];
}

/** Rows that change under the pending mutations: by key, and their images per table (for `list` predicates). */
export class ChangedRows {
  private readonly keys = new Set<string>();
  private readonly images = new Map<string, LocalRow[]>();
  private readonly wholeTables = new Set<string>();
  /** Per table, per column; built when a list first asks, dropped when the table's images change. */
  private readonly indexes = new Map<string, Map<string, ColumnIndex>>();

  add(table: string, id: string, ...images: readonly (LocalRow | null | undefined)[]): void {
    this.keys.add(`${table}/${id}`);
    let list = this.images.get(table);
    if (!list) this.images.set(table, (list = []));
    for (const image of images) if (image) list.push(image);
    this.indexes.delete(table);
  }

  /** Every row of the table (a refetch). */
  addTable(table: string): void {
    this.wholeTables.add(table);
  }

  /** Could this mutation's outcome differ on top of these changes? */
  affects(mutation: PendingMutation): boolean {
    const touches = (key: string) => this.keys.has(key) || this.wholeTables.has(key.slice(0, key.indexOf('/')));
    if (mutation.reads.keys.some(touches)) return true;
    if (mutation.undo.some((entry) => touches(`${entry.table}/${entry.id}`))) return true;
    return mutation.reads.lists.some(({ table, where }) => this.wholeTables.has(table) || this.mayMatchAny(table, where));
  }

  /** Whether any changed image of the table may match `where`: only the images sharing a value with its most selective column are tested. */
  private mayMatchAny(table: string, where: LocalRow): boolean {
    const images = this.images.get(table);
    if (!images || images.length === 0) return false;
    let fewest: LocalRow[] | undefined;
    for (const [column, value] of Object.entries(where)) {
      const index = this.index(table, column, images);
      const bucket = (item: unknown) => (item === null || item === undefined ? index.nulls : (index.byText.get(textOf(item)) ?? []));
      const candidates = [...index.lacking, ...(Array.isArray(value) ? value.flatMap(bucket) : bucket(value))];
      if (!fewest || candidates.length < fewest.length) fewest = candidates;
      if (fewest.length === 0) return false;
    }
    return (fewest ?? images).some((row) => mayMatch(where, row));
  }

  private index(table: string, column: string, images: readonly LocalRow[]): ColumnIndex {
    let byColumn = this.indexes.get(table);
    if (!byColumn) this.indexes.set(table, (byColumn = new Map<string, ColumnIndex>()));
    let index = byColumn.get(column);
    if (index) return index;
    index = { byText: new Map(), nulls: [], lacking: [] };
    for (const row of images) {
      if (!(column in row)) index.lacking.push(row);
      else if (row[column] === null || row[column] === undefined) index.nulls.push(row);
      else {
        const text = textOf(row[column]);
        const rows = index.byText.get(text);
        if (rows) rows.push(row);
        else index.byText.set(text, [row]);
      }
    }
    byColumn.set(column, index);
    return index;
  }
}

export interface ReplayPlan {
  readonly confirmed: readonly PendingMutation[];
  /** Kept in place: their effects stand. */
  readonly kept: readonly PendingMutation[];
  /** Undone before the commit applies and run again after it, in id order. */
  readonly replayed: readonly PendingMutation[];
}

export function planReplay(pending: readonly PendingMutation[], lastMutationID: number, changed: ChangedRows): ReplayPlan {
  const confirmed = pending.filter((mutation) => mutation.id <= lastMutationID);
  const unconfirmed = pending.filter((mutation) => mutation.id > lastMutationID);
  const first = unconfirmed.findIndex((mutation) => changed.affects(mutation));
  return first < 0 ? { confirmed, kept: unconfirmed, replayed: [] } : { confirmed, kept: unconfirmed.slice(0, first), replayed: unconfirmed.slice(first) };
}

/** Equality on the columns the image has; a column it lacks might match (so it counts as a match). */
function mayMatch(where: LocalRow, row: LocalRow): boolean {
  return Object.entries(where).every(([column, value]) => {
    if (!(column in row)) return true;
    const actual = row[column];
    if (Array.isArray(value)) return value.some((item) => same(item, actual));
    return same(value, actual);
  });
}

/** 5 and '5' are the same value (a number column compared with text from arguments). */
const textOf = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

function same(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  return textOf(a) === textOf(b);
}
