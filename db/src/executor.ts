/**
 * The one small interface every store writes SQL through. Two implementations: a `pg` Pool
 * (Postgres) and PGlite (embedded). Parameters are always passed separately from the SQL text.
 */
export type SqlValue = string | number | bigint | boolean | null | Date | Uint8Array | readonly unknown[] | Record<string, unknown>;

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface QueryOptions {
  /**
   * A fixed query text run often (no values spliced in): Postgres keeps it parsed (a named
   * prepared statement per connection), so later calls skip parsing and usually planning. Only
   * for a bounded set of texts: each stays prepared for the connection's life. PGlite ignores it.
   */
  readonly prepare?: boolean;
}

export interface Queryable {
  query: <Row = Record<string, unknown>>(text: string, params?: readonly unknown[], options?: QueryOptions) => Promise<QueryResult<Row>>;
  /** Runs a script of several statements with no parameters (migrations, DDL). */
  exec: (script: string) => Promise<void>;
}

export interface Executor extends Queryable {
  /** Which engine is underneath; a few features (logical replication, advisory locks across connections) differ. */
  readonly dialect: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Postgres error codes we react to (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export const PgErrorCode = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  notNullViolation: '23502',
  invalidTextRepresentation: '22P02',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
} as const;

export function pgErrorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

/** Code of the error a Postgres executor throws when no pooled connection came free in time. */
export const POOL_TIMEOUT = 'POOL_TIMEOUT';
