/** Column types the shape layer knows about, by their Postgres `typname`. */
export type PgType =
  | 'uuid'
  | 'text'
  | 'varchar'
  | 'bpchar'
  | 'int2'
  | 'int4'
  | 'int8'
  | 'float4'
  | 'float8'
  | 'numeric'
  | 'bool'
  | 'date'
  | 'timestamptz'
  | 'timestamp'
  | '_text'
  | 'jsonb'
  | 'json';

/** Column name -> type, for one table. */
export type ColumnTypes = Readonly<Record<string, PgType>>;

/** The types a where clause may reference; arrays and JSON have no exact in-memory twin. */
export type FilterableType = Exclude<PgType, '_text' | 'jsonb' | 'json'>;

export type IntType = 'int2' | 'int4' | 'int8';

const FILTERABLE: ReadonlySet<string> = new Set<FilterableType>([
  'uuid', 'text', 'varchar', 'bpchar', 'int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'bool', 'date', 'timestamptz', 'timestamp',
]);

/** An allow-list, so a type name that slips in at runtime (say `interval`) is refused, not guessed at. */
export function isFilterable(type: PgType): type is FilterableType {
  return FILTERABLE.has(type);
}

export function isIntType(type: PgType): type is IntType {
  return type === 'int2' || type === 'int4' || type === 'int8';
}

export function isExactType(type: PgType): type is IntType | 'numeric' {
  return isIntType(type) || type === 'numeric';
}

export function isFloatType(type: PgType): type is 'float4' | 'float8' {
  return type === 'float4' || type === 'float8';
}

export function isTextType(type: PgType): type is 'text' | 'varchar' | 'bpchar' {
  return type === 'text' || type === 'varchar' || type === 'bpchar';
}
