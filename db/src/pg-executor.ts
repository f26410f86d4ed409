import pg from 'pg';
import { POOL_TIMEOUT, type Executor, type Queryable, type QueryOptions, type QueryResult } from './executor.ts';

// int8 and numeric arrive as strings by default; counts and money fit in JS numbers here.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/**
 * One statement name per prepared text, the same on every connection (pg requires a name to keep
 * its text). A connection keeps each statement it prepared for its whole life (pg cannot forget
 * one), so only the first `maxPreparedTexts` texts are prepared; later ones run unnamed. Callers
 * generate their texts from a few patterns (a mutation's held-back writes vary with its lines), so
 * the common ones come first and stay.
 */
const maxPreparedTexts = 500;
const statementNames = new Map<string, string>();
function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < maxPreparedTexts) {
    name = `niaga_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

/** How many texts are prepared (at most `maxPreparedTexts`); for tests. */
export function preparedTextCount(): number {
  return statementNames.size;
}

/** pg-pool's own timeout error has no code; this one says what happened and can be told apart. */
function poolTimeout(error: unknown, waitedMs: number): unknown {
  if (!(error instanceof Error)) return error;
  if (error.message === 'timeout exceeded when trying to connect') {
    return Object.assign(new Error(`No database connection came free within ${waitedMs} ms (every pooled connection is busy)`, { cause: error }), { code: POOL_TIMEOUT });
  }
  // A new connection that Postgres did not accept in time (pg's message; it has no code either).
  if (error.message === 'Connection terminated due to connection timeout') {
    return Object.assign(new Error(`The database did not accept a new connection within ${waitedMs} ms`, { cause: error }), { code: POOL_TIMEOUT });
  }
  return error;
}

/** Queries over one connection or a pool, as they are (no pool-timeout translation: see createPgExecutor). */
export function queryableOf(client: pg.Pool | pg.PoolClient | pg.Client): Queryable {
  return {
    async query<Row>(text: string, params: readonly unknown[] = [], options: QueryOptions = {}): Promise<QueryResult<Row>> {
      const name = options.prepare ? statementName(text) : undefined;
      const result = name ? await client.query({ name, text, values: [...params] }) : await client.query(text, [...params]);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async exec(script: string): Promise<void> {
      await client.query(script);
    },
  };
}

export interface PgExecutor extends Executor {
  readonly pool: pg.Pool;
  readonly connectionString: string;
}

/**
 * `max`: pooled connections (10). `connectionTimeoutMillis`: how long a query or transaction waits
 * for one before it fails with POOL_TIMEOUT (30 s) rather than queueing without end.
 */
export function createPgExecutor(connectionString: string, options: { max?: number; connectionTimeoutMillis?: number } = {}): PgExecutor {
  const connectionTimeoutMillis = options.connectionTimeoutMillis ?? 30_000;
  // UTC sessions: timestamps render the same in snapshots, in the change log and on every client.
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10, connectionTimeoutMillis, options: '-c TimeZone=UTC' });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {});
  const root = queryableOf(pool);
  // Only a wait for the pool can time out: queries on a checked-out client need no translation.
  const timedOut = (error: unknown): never => {
    throw poolTimeout(error, connectionTimeoutMillis);
  };
  return {
    dialect: 'postgres',
    pool,
    connectionString,
    query: <Row>(text: string, params?: readonly unknown[], options?: QueryOptions) => root.query<Row>(text, params, options).catch(timedOut),
    exec: (script: string) => root.exec(script).catch(timedOut),
    async transaction(fn) {
      const client = await pool.connect().catch(timedOut);
      // A checked-out client whose connection drops between queries emits 'error'; unheard, that
      // would crash the process. The next query fails anyway, and the broken client is discarded.
      let broken: Error | undefined;
      const onError = (error: Error) => (broken = error);
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn(queryableOf(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => (broken ??= rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError))));
        throw error;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
