/**
 * The MutationTx a mutator runs against on the device: reads and writes go to the local store,
 * and the first write to each row records the row's image before it, so the mutation's optimistic
 * effect can be undone exactly (rebase, or a mutator that throws half-way).
 */
import type { ListOptions, MutableTable, MutationTx, ReadableTable, Row } from '@niaga/mutators';
import type { LocalRow, ReadSet, UndoEntry } from './local-store.ts';
import type { RowAccess } from './row-overlay.ts';

export class RecordingTx implements MutationTx {
  readonly location = 'device' as const;
  private readonly undo: UndoEntry[] = [];
  private readonly touched = new Set<string>();
  private readonly readKeys = new Set<string>();
  private readonly lists: { table: string; where: LocalRow }[] = [];

  /** @param localTables the tables the device syncs: others read as empty and ignore writes (the server has them). */
  constructor(
    private readonly tx: RowAccess,
    private readonly localTables: ReadonlySet<string>,
  ) {}

  async get(table: ReadableTable, id: string): Promise<Row | undefined> {
    this.readKeys.add(`${table}/${id}`);
    return this.localTables.has(table) ? this.tx.get(table, id) : undefined;
  }

  async list(table: ReadableTable, where: Row, options?: ListOptions): Promise<Row[]> {
    this.lists.push({ table, where: { ...where } });
    return this.localTables.has(table) ? this.tx.list(table, where, options) : [];
  }

  async insert(table: MutableTable, row: Row, options: { ifAbsent?: boolean } = {}): Promise<void> {
    if (!this.localTables.has(table)) return;
    const id = String(row.id);
    const existing = await this.tx.get(table, id);
    if (existing) {
      if (options.ifAbsent) return;
      throw new Error(`${table} ${id} exists already`);
    }
    this.remember(table, id, undefined);
    await this.tx.put(table, { ...row });
  }

  async update(table: MutableTable, id: string, patch: Row): Promise<void> {
    if (!this.localTables.has(table)) return;
    const existing = await this.tx.get(table, id);
    if (!existing) return;
    this.remember(table, id, existing);
    await this.tx.put(table, { ...existing, ...patch, id });
  }

  async delete(table: MutableTable, id: string): Promise<void> {
    if (!this.localTables.has(table)) return;
    const existing = await this.tx.get(table, id);
    if (!existing) return;
    this.remember(table, id, existing);
    await this.tx.delete(table, id);
  }

  /** The undo entries recorded so far, in the order the rows were first touched. */
  entries(): readonly UndoEntry[] {
    return this.undo;
  }

  /** What the mutator read (its writes' own existence checks included). */
  reads(): ReadSet {
    return { keys: [...this.readKeys], lists: this.lists };
  }

  private remember(table: string, id: string, before: LocalRow | undefined): void {
    const key = `${table}/${id}`;
    if (this.touched.has(key)) return;
    this.touched.add(key);
    this.undo.push({ table, id, before: before ? { ...before } : null });
  }
}

/** Puts every row back as it was before the entries were recorded (newest first). */
export async function applyUndo(tx: RowAccess, entries: readonly UndoEntry[]): Promise<void> {
  for (let index = entries.length - 1; index >= 0; index--) {
    const entry = entries[index]!;
    if (entry.before) await tx.put(entry.table, entry.before);
    else await tx.delete(entry.table, entry.id);
  }
}
