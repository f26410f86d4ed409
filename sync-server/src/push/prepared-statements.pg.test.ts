import { preparedTextCount } from '@niaga/db/pg';
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
