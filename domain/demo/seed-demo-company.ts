import type { Executor, Queryable } from '@niaga/db';
import { hashPassword } from '../auth/passwords.ts';
import type { DemoScaleName } from './demo-scale.ts';
import { demoScales } from './demo-scale.ts';
import { generateDemoData } from './generate-demo-data.ts';
import { insertTable } from './table.ts';

export interface SeedDemoOptions {
  scale: DemoScaleName;
  seed: number;
  /** Every demo login gets this password. */
  password: string;
  /** Called as work advances: a step (a table name while inserting), rows done and rows in that step. */
  onProgress?: (step: string, done: number, total: number) => void;
}

export interface DemoSummary {
  scale: DemoScaleName;
  seed: number;
  /** Rows written per table, by qualified name (`catalog.products`). */
  counts: Record<string, number>;
  durationMs: number;
}

export class DemoDatabaseNotEmptyError extends Error {
  override readonly name = 'DemoDatabaseNotEmptyError';
  readonly code = 'DEMO_DATABASE_NOT_EMPTY';
  constructor() {
    super('The demo company is seeded only into an empty database (auth.users has rows).');
  }
}

/** True when nobody can log in yet: the server seeds the demo company only then. */
export async function isDatabaseEmpty(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ empty: boolean }>('select not exists (select 1 from auth.users) as empty');
  return rows[0]?.empty === true;
}

/**
 * Seeds a whole demo company, deterministically from `seed`, in one transaction: a failure
 * leaves the database as it was.
 */
export async function seedDemoCompany(db: Executor, options: SeedDemoOptions): Promise<DemoSummary> {
  const started = performance.now();
  const report = options.onProgress ?? (() => {});
  report('hash password', 0, 1);
  // One argon2 hash (~50 ms) shared by every demo login.
  const passwordHash = await hashPassword(options.password);
  report('generate', 0, 1);
  const tables = Object.values(generateDemoData(options.scale, options.seed, passwordHash));
  report('generate', 1, 1);
  const { batchSize } = demoScales[options.scale];
  await db.transaction(async (tx) => {
    if (!(await isDatabaseEmpty(tx))) throw new DemoDatabaseNotEmptyError();
    for (const table of tables) {
      report(table.name, 0, table.size);
      await insertTable(tx, table, batchSize, (done, total) => report(table.name, done, total));
    }
    const orders = tables.find((table) => table.name === 'orders.orders')?.size ?? 0;
    // Numbers were given explicitly; the next order placed must not reuse one.
    if (orders > 0) await tx.query(`select setval('orders.order_number_seq', $1)`, [orders]);
  });
  return {
    scale: options.scale,
    seed: options.seed,
    counts: Object.fromEntries(tables.map((table) => [table.name, table.size])),
    durationMs: Math.round(performance.now() - started),
  };
}
