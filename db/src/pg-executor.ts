import pg from 'pg';
import type { Executor, Queryable, QueryOptions, QueryResult } from './executor.ts';

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

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
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

export function createPgExecutor(connectionString: string, options: { max?: number } = {}): PgExecutor {
  // UTC sessions: timestamps render the same in snapshots, in the change log and on every client.
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10, options: '-c TimeZone=UTC' });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => {});
  const root = wrap(pool);
  return {
    dialect: 'postgres',
    pool,
    connectionString,
    query: root.query,
    exec: root.exec,
    async transaction(fn) {
      const client = await pool.connect();
      // A checked-out client whose connection drops between queries emits 'error'; unheard, that
      // would crash the process. The next query fails anyway, and the broken client is discarded.
      let broken: Error | undefined;
      const onError = (error: Error) => (broken = error);
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
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
