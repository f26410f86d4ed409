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

export class SqlMutationTx implements MutationTx {
  readonly location = 'server' as const;

  constructor(
    private readonly tx: Queryable,
    private readonly tables: MutationTables,
  ) {}

  async get(table: ReadableTable, id: string, options: { lock?: boolean } = {}): Promise<Row | undefined> {
    const name = this.tables.resolve(table, ['id']);
    const { rows } = await this.tx.query<{ row: Row }>(`select to_jsonb(t) as row from ${name} t where id = $1${options.lock ? ' for update' : ''}`, [id], prepared);
    return rows[0]?.row;
  }

  async list(table: ReadableTable, where: Row, options: ListOptions = {}): Promise<Row[]> {
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
    await this.tx.query(
      `insert into ${name} (${columns.map(quote).join(', ')}) values (${columns.map((_, index) => `$${index + 1}`).join(', ')})${options.ifAbsent ? ' on conflict do nothing' : ''}`,
      Object.values(row),
      prepared,
    );
  }

  async update(table: MutableTable, id: string, patch: Row): Promise<void> {
    const columns = Object.keys(patch);
    if (columns.length === 0) return;
    const name = this.tables.resolve(table, columns);
    await this.tx.query(`update ${name} set ${columns.map((column, index) => `${quote(column)} = $${index + 2}`).join(', ')} where id = $1`, [id, ...Object.values(patch)], prepared);
  }

  async delete(table: MutableTable, id: string): Promise<void> {
    const name = this.tables.resolve(table, ['id']);
    await this.tx.query(`delete from ${name} where id = $1`, [id], prepared);
  }
}
