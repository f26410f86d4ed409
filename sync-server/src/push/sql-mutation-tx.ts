/**
 * The mutators' transaction interface over a Postgres (or PGlite) transaction. Table and column
 * names come from mutator code and are checked against the database catalogue; values are always
 * parameters. Rows come back as JSON (timestamps as ISO strings, numbers as numbers), the same
 * shape a device store holds them in.
 */
import type { Queryable } from '@niaga/db';
import { mutableTables, referenceTables, type ListOptions, type MutableTable, type MutationTx, type ReadableTable, type Row } from '@niaga/mutators';
import { loadTableCatalog, type TableInfo } from '../shapes/table-catalog.ts';

const quote = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;

/**
 * Every text below is a shape (table, columns, options) with the values as parameters: a bounded
 * set, so Postgres keeps each one prepared instead of parsing and planning it on every call.
 */
const prepared = { prepare: true } as const;

export class MutationTables {
  private constructor(private readonly tables: ReadonlyMap<string, TableInfo>) {}

  static async load(db: Queryable): Promise<MutationTables> {
    return new MutationTables(await loadTableCatalog(db, [...mutableTables, ...referenceTables]));
  }

  /** `"schema"."table"` and a checker for column names of that table. */
  resolve(table: string, columns: readonly string[]): string {
    const info = this.tables.get(table);
    if (!info) throw new Error(`Mutators may not touch ${table}`);
    for (const column of columns) {
      if (!info.columns.some((known) => known.name === column)) throw new Error(`${table} has no column ${column}`);
    }
    return `${quote(info.schema)}.${quote(info.table)}`;
  }
}

/** A write not sent yet: its text with its placeholders numbered from `offset` + 1. */
interface PendingWrite {
  readonly table: string;
  readonly insert: boolean;
  readonly text: (offset: number) => string;
  readonly values: readonly unknown[];
}

const placeholders = (count: number, offset: number) => Array.from({ length: count }, (_, index) => `$${offset + index + 1}`);

/**
 * Writes are held back and sent together, as one statement of data-modifying CTEs, before the next
 * read (which must see them), and at the end (`flush`, which the caller must await before it
 * commits). The parts of one statement run in no set order, so two writes of one table go in one
 * statement only if both are inserts (in any order they end the same, or fail the same way);
 * otherwise the first is sent before the second (e.g. the old default address cleared before the
 * new one is set, which a unique index checks row by row). A write's error surfaces at the
 * statement that sends it; the whole mutation is rolled back either way. A `stock.adjust` sends its
 * movement, stock row and event in one round trip instead of three.
 */
export class SqlMutationTx implements MutationTx {
  readonly location = 'server' as const;
  private pending: PendingWrite[] = [];

  constructor(
    private readonly tx: Queryable,
    private readonly tables: MutationTables,
  ) {}

  async get(table: ReadableTable, id: string, options: { lock?: boolean } = {}): Promise<Row | undefined> {
    await this.flush();
    const name = this.tables.resolve(table, ['id']);
    const { rows } = await this.tx.query<{ row: Row }>(`select to_jsonb(t) as row from ${name} t where id = $1${options.lock ? ' for update' : ''}`, [id], prepared);
    return rows[0]?.row;
  }

  async list(table: ReadableTable, where: Row, options: ListOptions = {}): Promise<Row[]> {
    await this.flush();
    const columns = Object.keys(where);
    const name = this.tables.resolve(table, [...columns, ...(options.after ? [options.after[0]] : []), ...(options.orderBy ? [options.orderBy[0]] : [])]);
    const values: unknown[] = [];
    // `=` (not `is not distinct from`) so the indexes on scope columns apply.
    const conditions = columns.map((column) => {
      const value = where[column];
      if (value === null || value === undefined) return `${quote(column)} is null`;
      values.push(value);
      return Array.isArray(value) ? `${quote(column)} = any($${values.length})` : `${quote(column)} = $${values.length}`;
    });
    if (options.after) {
      values.push(options.after[1]);
      conditions.push(`${quote(options.after[0])} > $${values.length}`);
    }
    const order = options.orderBy ? `${quote(options.orderBy[0])} ${options.orderBy[1]}, id` : 'id';
    const limit = options.limit === undefined ? '' : ` limit ${Math.max(0, Math.floor(options.limit))}`;
    const { rows } = await this.tx.query<{ row: Row }>(
      `select to_jsonb(t) as row from ${name} t${conditions.length > 0 ? ` where ${conditions.join(' and ')}` : ''} order by ${order}${limit}${options.lock ? ' for update' : ''}`,
      values,
      prepared,
    );
    return rows.map((row) => row.row);
  }

  async insert(table: MutableTable, row: Row, options: { ifAbsent?: boolean } = {}): Promise<void> {
    const columns = Object.keys(row);
    const name = this.tables.resolve(table, columns);
    await this.write(table, true, (offset) => `insert into ${name} (${columns.map(quote).join(', ')}) values (${placeholders(columns.length, offset).join(', ')})${options.ifAbsent ? ' on conflict do nothing' : ''}`, Object.values(row));
  }

  async update(table: MutableTable, id: string, patch: Row): Promise<void> {
    const columns = Object.keys(patch);
    if (columns.length === 0) return;
    const name = this.tables.resolve(table, columns);
    await this.write(table, false, (offset) => `update ${name} set ${columns.map((column, index) => `${quote(column)} = $${offset + index + 2}`).join(', ')} where id = $${offset + 1}`, [id, ...Object.values(patch)]);
  }

  async delete(table: MutableTable, id: string): Promise<void> {
    const name = this.tables.resolve(table, ['id']);
    await this.write(table, false, (offset) => `delete from ${name} where id = $${offset + 1}`, [id]);
  }

  /**
   * Holds back an insert of the mutation's transaction that is not through the MutationTx
   * interface (its outbox event), so it goes with the others. `text` numbers its placeholders from
   * offset + 1.
   */
  async deferInsert(table: string, text: (offset: number) => string, values: readonly unknown[]): Promise<void> {
    await this.write(table, true, text, values);
  }

  /** Sends the writes held back, in the order they were made. */
  async flush(): Promise<void> {
    const writes = this.pending;
    if (writes.length === 0) return;
    this.pending = [];
    const values: unknown[] = [];
    const texts = writes.map((write) => {
      const text = write.text(values.length);
      values.push(...write.values);
      return text;
    });
    // Data-modifying CTEs all run, to completion, whether or not the main statement reads them.
    const text = texts.length === 1 ? texts[0]! : `with ${texts.slice(0, -1).map((write, index) => `w${index} as (${write})`).join(', ')} ${texts.at(-1)!}`;
    await this.tx.query(text, values, prepared);
  }

  private async write(table: string, insert: boolean, text: (offset: number) => string, values: readonly unknown[]): Promise<void> {
    if (this.pending.some((write) => write.table === table && !(write.insert && insert))) await this.flush();
    this.pending.push({ table, insert, text, values });
  }
}
