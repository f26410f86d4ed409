/**
 * An in-memory MutationTx: rows by table and id. For pure tests of the mutators and for devices
 * whose store is a key-value map; `commit()` returns the new state, the old one is untouched.
 */
import type { ListOptions, MutableTable, MutationTx, ReadableTable, Row } from './mutation-tx.ts';

const timestamp = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

/** Numbers by value, timestamps (ISO, any offset) by instant, other text by UTF-16 unit (as COLLATE "C" for ASCII ids and codes). */
function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const [x, y] = [String(a), String(b)];
  if (timestamp.test(x) && timestamp.test(y)) return Date.parse(x) - Date.parse(y);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The rows of `rows` that `list(table, where, options)` returns: the one definition of list's
 * semantics for stores that keep rows as plain objects (MemoryTx, the Replicache adapter).
 */
export function selectRows(rows: Iterable<Row>, where: Row, options: ListOptions = {}): Row[] {
  const conditions = Object.entries(where);
  const matches = (row: Row) =>
    conditions.every(([column, value]) => (Array.isArray(value) ? value.includes(row[column]) : (row[column] ?? null) === value)) &&
    (!options.after || compare(row[options.after[0]], options.after[1]) > 0);
  const selected = [...rows].filter(matches);
  if (options.orderBy) {
    const [column, direction] = options.orderBy;
    selected.sort((a, b) => compare(a[column], b[column]) * (direction === 'asc' ? 1 : -1));
  }
  return options.limit === undefined ? selected : selected.slice(0, options.limit);
}

export type TableState = ReadonlyMap<string, ReadonlyMap<string, Row>>;

export class MemoryTx implements MutationTx {
  private readonly tables = new Map<string, Map<string, Row>>();

  constructor(
    state: TableState = new Map(),
    readonly location: 'device' | 'server' = 'device',
  ) {
    for (const [table, rows] of state) this.tables.set(table, new Map(rows));
  }

  private table(name: string): Map<string, Row> {
    let rows = this.tables.get(name);
    if (!rows) this.tables.set(name, (rows = new Map<string, Row>()));
    return rows;
  }

  async get(table: ReadableTable, id: string, _options?: { lock?: boolean }): Promise<Row | undefined> {
    return this.table(table).get(id);
  }

  async list(table: ReadableTable, where: Row, options: ListOptions = {}): Promise<Row[]> {
    return selectRows(this.table(table).values(), where, options);
  }

  async insert(table: MutableTable, row: Row, options: { ifAbsent?: boolean } = {}): Promise<void> {
    const id = String(row.id);
    if (this.table(table).has(id)) {
      if (options.ifAbsent) return;
      throw new Error(`${table} ${id} exists already`);
    }
    this.table(table).set(id, { ...row });
  }

  async update(table: MutableTable, id: string, patch: Row): Promise<void> {
    const row = this.table(table).get(id);
    if (row) this.table(table).set(id, { ...row, ...patch });
  }

  async delete(table: MutableTable, id: string): Promise<void> {
    this.table(table).delete(id);
  }

  /** The state after this transaction. */
  commit(): TableState {
    return new Map([...this.tables].map(([name, rows]) => [name, new Map(rows)]));
  }
}
