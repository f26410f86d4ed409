export type { Executor, Queryable, QueryResult, SqlValue } from './executor.ts';
export { PgErrorCode, pgErrorCode } from './executor.ts';
