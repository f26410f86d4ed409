import type { Executor, Queryable, QueryResult } from '@niaga/db';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * Both drivers turn a `date` column into a Date at midnight: pg at local midnight, PGlite at UTC
 * midnight. Read back with the matching getters, that is the calendar day Postgres stored.
 */
export function calendarDay(value: Date, dialect: Executor['dialect']): string {
  return dialect === 'pglite'
    ? `${pad(value.getUTCFullYear(), 4)}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}`
    : `${pad(value.getFullYear(), 4)}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`;
}

/** An executor whose rows carry the named `date` columns as 'YYYY-MM-DD', the way the API speaks them. */
export function withCalendarDates(db: Executor, columns: readonly string[]): Executor {
  const fix = <Row>(result: QueryResult<Row>): QueryResult<Row> => {
    for (const row of result.rows as Record<string, unknown>[]) {
      for (const column of columns) {
        const value = row[column];
        if (value instanceof Date) row[column] = calendarDay(value, db.dialect);
      }
    }
    return result;
  };
  const wrap = (queryable: Queryable): Queryable => ({
    query: async <Row = Record<string, unknown>>(text: string, params?: readonly unknown[]) => fix(await queryable.query<Row>(text, params)),
    exec: (script) => queryable.exec(script),
  });
  return {
    ...wrap(db),
    dialect: db.dialect,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    close: () => db.close(),
  };
}
