/**
 * A database run with a lock_timeout or a statement_timeout (common production settings): a
 * mutation that waited too long for a row another transaction holds, or whose statement ran past
 * the timeout while the database was slow, failed for a passing reason, not its own. It must be
 * retried by the device, not dropped as a server error.
 */
import { randomUUID } from 'node:crypto';
import { createPgExecutor } from '@niaga/db/pg';
import { createTestDatabase } from '@niaga/testing';
import { describe, expect, test } from 'vitest';
import { startShapeServer } from '../test-support/shape-server.ts';

describe.each([
  // 55P03: waited past lock_timeout for the stock row.
  { setting: 'lock_timeout', value: '150ms', waited: 'for a lock' },
  // 57014: the same wait, with no lock_timeout, runs past statement_timeout (kept well above what
  // the server's other statements take, so only the held-up one times out).
  { setting: 'statement_timeout', value: '1s', waited: 'past the statement timeout' },
])('a database with $setting', ({ setting, value, waited }) => {
  test(`a mutation that timed out ${waited} answers 503 and advances nothing; the resend applies it once`, async () => {
    const database = await createTestDatabase();
    const productID = randomUUID();
    const warehouseID = randomUUID();
    await database.db.exec(`alter database ${database.name} set ${setting} = '${value}'`);
    await database.db.query(`insert into catalog.products (id, sku, name, price_minor) values ($1, 'TMO-1', 'Tea', 100)`, [productID]);
    await database.db.query(`insert into inventory.warehouses (id, code, name) values ($1, 'WH-TMO', 'Timeouts')`, [warehouseID]);
    await database.db.query('insert into inventory.stock_items (warehouse_id, product_id, on_hand) values ($1, $2, 10)', [warehouseID, productID]);
    // Only connections opened from now on take the setting: the server's own pool.
    const serverDb = createPgExecutor(database.url);
    const server = await startShapeServer(serverDb);
    try {
      const picker = await server.token('warehouse', { warehouse_id: warehouseID });
      const clientID = randomUUID();
      const group = randomUUID();
      const mutation = {
        clientID,
        id: 1,
        name: 'stock.adjust',
        args: { adjustmentID: randomUUID(), warehouseID, productID, delta: -3, reason: 'damaged', occurredAt: new Date().toISOString() },
        timestamp: 1,
      };
      const push = async () => {
        const response = await fetch(`${server.baseUrl}/api/v1/sync/push`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${picker}` },
          body: JSON.stringify({ pushVersion: 1, clientGroupID: group, mutations: [mutation] }),
        });
        return { status: response.status, body: (await response.json()) as { code?: string } };
      };
      const state = async () =>
        (
          await database.db.query<{ lmid: number | null; results: number; movements: number; on_hand: number }>(
            `select (select last_mutation_id from sync.clients where id = $1)::int as lmid,
                    (select count(*) from sync.mutation_results where client_id = $1)::int as results,
                    (select count(*) from inventory.movements where client_id = $1)::int as movements,
                    (select on_hand from inventory.stock_items where warehouse_id = $2) as on_hand`,
            [clientID, warehouseID],
          )
        ).rows[0];

      // Another transaction (a long saga batch, a slow report) holds the stock row past the timeout.
      const held = await database.db.transaction(async (tx) => {
        await tx.query('set local lock_timeout = 0');
        await tx.query('set local statement_timeout = 0');
        await tx.query('select 1 from inventory.stock_items where warehouse_id = $1 for update', [warehouseID]);
        return push();
      });
      expect(held).toMatchObject({ status: 503, body: { code: 'UNAVAILABLE' } });
      expect(await state()).toEqual({ lmid: null, results: 0, movements: 0, on_hand: 10 });

      expect(await push()).toEqual({ status: 200, body: { lastMutationIDs: { [clientID]: 1 } } });
      expect(await state()).toEqual({ lmid: 1, results: 0, movements: 1, on_hand: 7 });
      // Sent once more (the device did not hear the answer): skipped, still applied once.
      expect(await push()).toEqual({ status: 200, body: { lastMutationIDs: { [clientID]: 1 } } });
      expect(await state()).toEqual({ lmid: 1, results: 0, movements: 1, on_hand: 7 });
    } finally {
      await server.close();
      await serverDb.close();
      await database.drop();
    }
  }, 60_000);
});
