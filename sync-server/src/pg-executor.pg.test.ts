import { createServer, type AddressInfo } from 'node:net';
import { POOL_TIMEOUT } from '@niaga/db';
import { createPgExecutor, preparedTextCount } from '@niaga/db/pg';
import { toProblem } from '@niaga/domain/shared';
import { createTestDatabase, type TestDatabase } from '@niaga/testing';
import { afterAll, beforeAll, expect, test } from 'vitest';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.drop());

// The push path prepares the texts it builds (held-back writes vary with an order's lines); a
// connection keeps what it prepared for its whole life, so their number must stay bounded.
test('a connection keeps at most 500 prepared statements however many distinct texts ask to be prepared; the rest still run', async () => {
  const { db } = database;
  const counted = await db.transaction(async (tx) => {
    for (let n = 0; n < 650; n++) {
      const { rows } = await tx.query<{ sum: number }>(`select $1::int + ${n} as sum`, [1], { prepare: true });
      expect(rows[0]!.sum).toBe(n + 1);
    }
    const { rows } = await tx.query<{ n: number }>('select count(*)::int as n from pg_prepared_statements');
    return rows[0]!.n;
  });
  expect(preparedTextCount()).toBe(500);
  expect(counted).toBeLessThanOrEqual(500);
  expect(counted).toBeGreaterThan(400);
});

test('a query that finds no pooled connection free in time fails with POOL_TIMEOUT, which clients get as a 503 UNAVAILABLE', async () => {
  const db = createPgExecutor(database.url, { max: 1, connectionTimeoutMillis: 200 });
  try {
    let release!: () => void;
    const held = db.transaction(() => new Promise<void>((resolve) => (release = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    const waited = await db.query('select 1').catch((error: unknown) => error);
    expect(waited).toMatchObject({ code: POOL_TIMEOUT });
    expect((waited as Error).message).toContain('200 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(db.transaction(async () => undefined)).rejects.toMatchObject({ code: POOL_TIMEOUT });
    expect(toProblem(waited, 'GET').code).toBe('UNAVAILABLE');
    release();
    await held;
    expect((await db.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
  } finally {
    await db.close();
  }
});

test('a database that does not accept a new connection in time gives POOL_TIMEOUT too (503, not 500)', async () => {
  // A listener that accepts TCP connections and never answers Postgres's startup message.
  const silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as AddressInfo;
  const db = createPgExecutor(`postgres://nobody@127.0.0.1:${port}/nothing`, { max: 1, connectionTimeoutMillis: 200 });
  try {
    const failed = await db.query('select 1').catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: POOL_TIMEOUT });
    expect(toProblem(failed, 'GET').code).toBe('UNAVAILABLE');
  } finally {
    await db.close();
    silent.close();
  }
});
