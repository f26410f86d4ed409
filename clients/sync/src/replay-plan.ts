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

/** Rows that change under the pending mutations: by key, and their images per table (for `list` predicates). */
export class ChangedRows {
  private readonly keys = new Set<string>();
  private readonly images = new Map<string, LocalRow[]>();
  private readonly wholeTables = new Set<string>();

  add(table: string, id: string, ...images: readonly (LocalRow | null | undefined)[]): void {
    this.keys.add(`${table}/${id}`);
    let list = this.images.get(table);
    if (!list) this.images.set(table, (list = []));
    for (const image of images) if (image) list.push(image);
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
    return mutation.reads.lists.some(({ table, where }) => this.wholeTables.has(table) || (this.images.get(table) ?? []).some((row) => mayMatch(where, row)));
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

function same(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  // 5 and '5' are the same value (a number column compared with text from arguments).
  const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  return text(a) === text(b);
}
