import { PGlite } from '@electric-sql/pglite';
import { hstore } from '@electric-sql/pglite/contrib/hstore';
import type { Executor, Queryable, QueryResult } from './executor.ts';

function wrap(db: Pick<PGlite, 'query' | 'exec'>): Queryable {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []): Promise<QueryResult<Row>> {
      const result = await db.query<Row>(text, [...params]);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async exec(script: string): Promise<void> {
      await db.exec(script);
    },
  };
}

export interface PgliteExecutor extends Executor {
  readonly db: PGlite;
}

/** `dataDir` undefined means in memory (tests); otherwise a folder on disk. */
export async function createPgliteExecutor(dataDir?: string): Promise<PgliteExecutor> {
  // int8 as a JS number, as the pg executor returns it (counts and money fit).
  const parsers = { 20: (value: string) => Number(value) };
  // hstore turns a row into its columns' text output, which embedded change capture logs.
  const db = new PGlite({ ...(dataDir === undefined ? {} : { dataDir }), parsers, extensions: { hstore } });
  await db.waitReady;
  const root = wrap(db);
  return {
    dialect: 'pglite',
    db,
    query: root.query,
    exec: root.exec,
    // PGlite has one connection: its transaction() queues other callers until this one ends.
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: () => db.close(),
  };
}
