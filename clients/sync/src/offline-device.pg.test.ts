/**
 * Property 1 of the client library: a device offline for a long time makes 200 mutations while its
 * process is killed at random moments (also right after a mutator call returned); it restarts,
 * reconnects, and every mutation applies on the server exactly once and the device converges.
 * Real Postgres with logical-replication capture; the device is a separate Node process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPgShapeBackend, type PgShapeBackend } from '@niaga/sync-server/test-support';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { adjustmentID, deltaOf } from './test-support/device-plan.ts';

const TOTAL = 200;
let backend: PgShapeBackend;
const warehouseID = randomUUID();
const productID = randomUUID();
const dataDir = mkdtempSync(join(tmpdir(), 'niaga-device-'));

beforeAll(async () => {
  backend = await startPgShapeBackend();
  await backend.database.db.query(`insert into inventory.warehouses (id, code, name) values ($1, 'WH-1', 'Main')`, [warehouseID]);
  await backend.database.db.query(`insert into catalog.products (id, sku, name, price_minor) values ($1, 'TEA-1', 'Tea', 250)`, [productID]);
}, 60_000);
afterAll(async () => {
  await backend?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  /** Resolves with the first line matching, or rejects when the process ends first. */
  waitFor(pattern: RegExp): Promise<string>;
}

function runDevice(mode: string, serverURL: string, extra: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'test-support/device-process.ts')], {
    env: { ...process.env, NIAGA_MODE: mode, NIAGA_SERVER_URL: serverURL, NIAGA_DATA_DIR: dataDir, NIAGA_WAREHOUSE_ID: warehouseID, NIAGA_PRODUCT_ID: productID, NIAGA_TOTAL: String(TOTAL), ...extra },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 1);
      lines.push(line);
      for (const waiter of waiters.splice(0)) {
        if (waiter.pattern.test(line)) waiter.resolve(line);
        else waiters.push(waiter);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
    for (const waiter of waiters.splice(0)) waiter.reject(new Error(`The device exited (${code}) before printing ${waiter.pattern}; it printed: ${lines.join(' | ')}`));
    resolve(code);
  }));
  return {
    child,
    lines,
    exited,
    waitFor: (pattern) => {
      const seen = lines.find((line) => pattern.test(line));
      return seen ? Promise.resolve(seen) : new Promise((resolve, reject) => waiters.push({ pattern, resolve, reject }));
    },
  };
}

/** A seeded generator, so a failure can be replayed (the seed is in the test's output). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => ((state = (Math.imul(state ^ (state >>> 15), 2246822507) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

test('a device killed at random moments while offline applies each of its 200 mutations exactly once and converges', async () => {
  const seed = Date.now() % 100_000;
  console.log(`offline-device seed ${seed}`);
  const next = random(seed);
  const accessToken = await backend.server.token('warehouse', { warehouse_id: warehouseID });

  const first = runDevice('sync', backend.server.baseUrl, { NIAGA_ACCESS_TOKEN: accessToken });
  await first.waitFor(/^ready$/);
  expect(await first.exited).toBe(0);

  // Offline: the server address refuses connections. Kill the device after a random number of
  // returned mutator calls (at once, or a few milliseconds into the next one), until all are made.
  const offline = 'http://127.0.0.1:9';
  let kills = 0;
  for (let done = false; !done; ) {
    const run = runDevice('mutate', offline);
    const target = 1 + Math.floor(next() * 80);
    const outcome = await Promise.race([run.waitFor(/^done$/).then(() => 'done' as const), waitForOks(run, target).then(() => 'kill' as const)]);
    if (outcome === 'done') {
      done = true;
      expect(await run.exited).toBe(0);
      continue;
    }
    if (next() < 0.5) await new Promise((resolve) => setTimeout(resolve, Math.floor(next() * 15)));
    run.child.kill('SIGKILL');
    await run.exited;
    kills++;
  }
  expect(kills).toBeGreaterThan(0);

  const online = runDevice('converge', backend.server.baseUrl);
  const converged = await online.waitFor(/^converged /);
  expect(await online.exited).toBe(0);

  const { rows: movements } = await backend.database.db.query<{ id: string; quantity: number; mutation_id: number }>(
    `select id, quantity, mutation_id::int from inventory.movements where product_id = $1 order by mutation_id`,
    [productID],
  );
  expect(movements).toEqual(Array.from({ length: TOTAL }, (_, index) => ({ id: adjustmentID(index + 1), quantity: deltaOf(index + 1), mutation_id: index + 1 })));
  const expected = movements.reduce((sum, movement) => sum + movement.quantity, 0);
  const { rows: stock } = await backend.database.db.query<{ on_hand: number }>('select on_hand from inventory.stock_items where product_id = $1', [productID]);
  expect(stock).toEqual([{ on_hand: expected }]);
  expect(converged).toBe(`converged ${expected}`);
}, 240_000);

async function waitForOks(run: Run, count: number): Promise<void> {
  await run.waitFor(new RegExp(`^ok `));
  while (run.lines.filter((line) => line.startsWith('ok ')).length < count) await run.waitFor(/^ok /).then(() => new Promise((resolve) => setImmediate(resolve)));
}
