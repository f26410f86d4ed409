/**
 * A row value handed to the evaluator is not Postgres text output for its column's type (or the
 * column is missing from the row). This is a server bug — a schema/type mismatch between the
 * change log and the shape's column types — never the client's fault, so it is not a WhereError.
 */
export class PgValueError extends Error {
  override readonly name = 'PgValueError';
  readonly code = 'INVALID_ROW_VALUE';
}
