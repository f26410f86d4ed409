export type { Executor, Queryable, QueryResult, SqlValue } from './executor.ts';
export { PgErrorCode, pgErrorCode, POOL_TIMEOUT } from './executor.ts';
export { isTransientError } from './transient-error.ts';
