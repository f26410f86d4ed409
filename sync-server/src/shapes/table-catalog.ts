/**
 * What the database says about each synced table: its columns, their types (for the
 * `electric-schema` header, the where-clause binder and the text casts), and its primary key.
 */
import type { Queryable } from '@niaga/db';
import type { PgType } from './where/index.ts';

export interface ColumnInfo {
  readonly name: string;
  /** Element type for arrays (the protocol's convention), else the type. */
  readonly type: string;
  readonly dims: number;
  readonly notNull: boolean;
  readonly pkIndex: number | undefined;
  readonly typmod: number;
  /** The type as the where-clause engine knows it, or undefined if it cannot be filtered on. */
  readonly filterType: PgType | undefined;
}

export interface TableInfo {
  readonly name: string; // schema.table
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly ColumnInfo[];
  readonly primaryKey: readonly string[];
}

const filterable: ReadonlySet<string> = new Set<PgType>([
  'uuid', 'text', 'varchar', 'bpchar', 'int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'bool', 'date', 'timestamptz', 'timestamp',
]);

interface ColumnRow {
  name: string;
  typname: string;
  elem: string | null;
  dims: number;
  not_null: boolean;
  pk_index: number | null;
  typmod: number;
}

export async function loadTableCatalog(db: Queryable, tables: readonly string[]): Promise<Map<string, TableInfo>> {
  const { rows } = await db.query<ColumnRow & { schema: string; relname: string }>(
    `select n.nspname as schema, c.relname, a.attname as name, t.typname, et.typname as elem,
            greatest(a.attndims, case when t.typcategory = 'A' then 1 else 0 end)::int as dims,
            a.attnotnull as not_null, a.atttypmod as typmod,
            (select (k.position - 1)::int from pg_index i, unnest(i.indkey) with ordinality k(attnum, position)
              where i.indrelid = c.oid and i.indisprimary and k.attnum = a.attnum) as pk_index
       from pg_attribute a
       join pg_class c on c.oid = a.attrelid
       join pg_namespace n on n.oid = c.relnamespace
       join pg_type t on t.oid = a.atttypid
       left join pg_type et on et.oid = t.typelem and t.typcategory = 'A'
      where (n.nspname || '.' || c.relname) = any($1::text[]) and a.attnum > 0 and not a.attisdropped
      order by n.nspname, c.relname, a.attnum`,
    [tables],
  );
  const catalog = new Map<string, TableInfo>();
  for (const name of tables) {
    const [schema, table] = name.split('.') as [string, string];
    const columns = rows
      .filter((row) => row.schema === schema && row.relname === table)
      .map((row): ColumnInfo => {
        const isArray = row.elem !== null;
        const type = isArray ? row.elem! : row.typname;
        return {
          name: row.name,
          type,
          dims: row.dims,
          notNull: row.not_null,
          pkIndex: row.pk_index ?? undefined,
          typmod: row.typmod,
          filterType: isArray ? (row.elem === 'text' ? '_text' : undefined) : filterable.has(type) ? (type as PgType) : type === 'jsonb' || type === 'json' ? (type) : undefined,
        };
      });
    if (columns.length === 0) throw new Error(`Synced table ${name} does not exist; check the shape rules against the migrations`);
    const primaryKey = columns.filter((column) => column.pkIndex !== undefined).sort((a, b) => a.pkIndex! - b.pkIndex!).map((column) => column.name);
    if (primaryKey.length === 0) throw new Error(`Synced table ${name} has no primary key`);
    catalog.set(name, { name, schema, table, columns, primaryKey });
  }
  return catalog;
}

/** The `electric-schema` header entry of one column. */
export function schemaEntry(column: ColumnInfo): Record<string, unknown> {
  const entry: Record<string, unknown> = { type: column.type };
  if (column.dims > 0) entry.dims = column.dims;
  if (column.notNull) entry.not_null = true;
  if (column.pkIndex !== undefined) entry.pk_index = column.pkIndex;
  if (column.typmod >= 0) {
    if (column.type === 'varchar') entry.max_length = column.typmod - 4;
    if (column.type === 'bpchar') entry.length = column.typmod - 4;
    if (column.type === 'numeric') {
      entry.precision = ((column.typmod - 4) >> 16) & 0xffff;
      entry.scale = (column.typmod - 4) & 0xffff;
    }
    if (column.type === 'timestamptz' || column.type === 'timestamp' || column.type === 'time') entry.precision = column.typmod;
  }
  return entry;
}
