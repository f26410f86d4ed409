import type { Queryable } from '@niaga/db';

/** Postgres types the demo writes; each column travels as one array parameter of this type. */
export type ColumnType = 'uuid' | 'text' | 'int4' | 'int8' | 'float8' | 'bool' | 'timestamptz' | 'date' | 'text[]';
export type Columns = Readonly<Record<string, ColumnType>>;

type ValueOf<T extends ColumnType> = T extends 'int4' | 'int8' | 'float8'
  ? number
  : T extends 'bool'
    ? boolean
    : T extends 'text[]'
      ? readonly string[]
      : string;

/** One row: every column named, so forgetting one is a type error. */
export type RowOf<C extends Columns> = { [K in keyof C]: ValueOf<C[K]> | null };

/** What the writer needs of a table, whatever its columns. */
export interface AnyTable {
  readonly name: string;
  readonly columns: Columns;
  readonly names: readonly string[];
  readonly values: readonly (readonly unknown[])[];
  readonly size: number;
}

/** Rows kept column by column, ready to be sent as one array per column. */
export class Table<const C extends Columns> implements AnyTable {
  readonly names: readonly (keyof C & string)[];
  readonly values: unknown[][];
  size = 0;
  private readonly isArray: readonly boolean[];

  constructor(
    readonly name: string,
    readonly columns: C,
  ) {
    this.names = Object.keys(columns);
    this.values = this.names.map(() => []);
    this.isArray = this.names.map((name) => columns[name] === 'text[]');
  }

  add(row: RowOf<C>): void {
    for (let index = 0; index < this.names.length; index++) {
      const name = this.names[index]!;
      const value = row[name];
      (this.values[index] as unknown[]).push(this.isArray[index] && value !== null ? arrayLiteral(value as readonly string[]) : value);
    }
    this.size++;
  }

  /** The values of one column, in insertion order. */
  column(name: keyof C & string): readonly unknown[] {
    return this.values[this.names.indexOf(name)] as unknown[];
  }
}

const quoteIdent = (name: string) => `"${name}"`;

// A nested text[] cannot travel inside an array parameter (Postgres arrays are rectangular), so an
// array column goes as its literal text and is cast back in the select.
function arrayLiteral(items: readonly string[]): string {
  return `{${items.map((item) => `"${item.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}

/** `insert … select … from unnest($1::uuid[], $2::text[], …)`: one statement per batch, not per row. */
export function insertStatement(table: AnyTable): string {
  const columns = table.names.map(quoteIdent).join(', ');
  const select = table.names.map((name) => (table.columns[name] === 'text[]' ? `${quoteIdent(name)}::text[]` : quoteIdent(name))).join(', ');
  const params = table.names
    .map((name, index) => `$${index + 1}::${table.columns[name] === 'text[]' ? 'text' : table.columns[name]}[]`)
    .join(', ');
  return `insert into ${table.name} (${columns}) select ${select} from unnest(${params}) as t(${columns})`;
}

export async function insertTable(
  db: Queryable,
  table: AnyTable,
  batchSize: number,
  onBatch?: (done: number, total: number) => void,
): Promise<void> {
  const statement = insertStatement(table);
  for (let start = 0; start < table.size; start += batchSize) {
    const end = Math.min(start + batchSize, table.size);
    await db.query(statement, table.values.map((column) => column.slice(start, end)));
    onBatch?.(end, table.size);
  }
}
