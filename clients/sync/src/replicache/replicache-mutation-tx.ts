/**
 * The shared mutators' MutationTx over a Replicache WriteTransaction. Rows live under the keys the
 * server's pull sends (`<schema.table>/<id>`); `list` scans a table's key prefix and selects as
 * MemoryTx does (selectRows). Writes are held until `flush()`: a mutator that throws half-way
 * leaves nothing behind, which matters on a rebase, where Replicache keeps whatever was written.
 */
import { selectRows, type ListOptions, type MutableTable, type MutationTx, type ReadableTable, type Row } from '@niaga/mutators';
import type { ReadonlyJSONValue, WriteTransaction } from 'replicache';

/** The Replicache key of a row: `<schema.table>/<id>`. */
export const rowKey = (table: string, id: string): string => `${table}/${id}`;

/** A row as JSON: undefined columns are left out (JSON has no undefined). */
function toJson(row: Row): ReadonlyJSONValue {
  const json: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) if (value !== undefined) json[column] = value;
  return json as ReadonlyJSONValue;
}

export class ReplicacheMutationTx implements MutationTx {
  readonly location = 'device' as const;
  /** Writes not yet given to Replicache, by key: the new row, or null for a delete. */
  private readonly writes = new Map<string, Row | null>();

  constructor(private readonly tx: WriteTransaction) {}

  async get(table: ReadableTable, id: string): Promise<Row | undefined> {
    const key = rowKey(table, id);
    if (this.writes.has(key)) return this.writes.get(key) ?? undefined;
    return (await this.tx.get(key)) as Row | undefined;
  }

  async list(table: ReadableTable, where: Row, options?: ListOptions): Promise<Row[]> {
    const prefix = `${table}/`;
    const rows = new Map<string, Row>();
    for await (const [key, value] of this.tx.scan({ prefix }).entries()) rows.set(key, value as Row);
    for (const [key, row] of this.writes) {
      if (!key.startsWith(prefix)) continue;
      if (row) rows.set(key, row);
      else rows.delete(key);
    }
    return selectRows(rows.values(), where, options);
  }

  async insert(table: MutableTable, row: Row, options: { ifAbsent?: boolean } = {}): Promise<void> {
    const id = String(row.id);
    if (await this.get(table, id)) {
      if (options.ifAbsent) return;
      throw new Error(`${table} ${id} exists already`);
    }
    this.writes.set(rowKey(table, id), toJson(row) as Row);
  }

  async update(table: MutableTable, id: string, patch: Row): Promise<void> {
    const row = await this.get(table, id);
    if (row) this.writes.set(rowKey(table, id), toJson({ ...row, ...patch }) as Row);
  }

  async delete(table: MutableTable, id: string): Promise<void> {
    this.writes.set(rowKey(table, id), null);
  }

  /** Gives the held writes to Replicache. */
  async flush(): Promise<void> {
    for (const [key, row] of this.writes) {
      if (row) await this.tx.set(key, row as ReadonlyJSONValue);
      else await this.tx.del(key);
    }
    this.writes.clear();
  }
}
