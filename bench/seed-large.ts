/**
 * Seeds the large demo company (100k products, 10 warehouses, ~350k stock items) into the
 * database at DATABASE_URL, after applying migrations, and prints row counts and timings.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/niaga_seed_try node_modules/.bin/tsx bench/seed-large.ts
 *
 * SEED (default 1) and SCALE (large or small, default large) are optional. The database must be
 * empty of users. bench has no package dependencies of its own, hence the relative imports.
 */
import { createPgExecutor } from '@niaga/db/pg';
import { migrate } from '@niaga/migrations';
import { seedDemoCompany } from '@niaga/domain/demo';

const url = process.env.DATABASE_URL;
if (url === undefined || url === '') {
  console.error('Set DATABASE_URL to an empty (or freshly created) Postgres database.');
  process.exit(1);
}
const scale = process.env.SCALE === 'small' ? 'small' : 'large';
const seed = Number(process.env.SEED ?? '1');

const db = createPgExecutor(url, { max: 2 });
try {
  const migrated = performance.now();
  const { applied } = await migrate(db);
  console.log(`migrations: ${applied.length} applied in ${Math.round(performance.now() - migrated)} ms`);

  let lastStep = '';
  let stepStarted = performance.now();
  const summary = await seedDemoCompany(db, {
    scale,
    seed,
    password: process.env.DEMO_PASSWORD ?? 'niaga-demo',
    onProgress: (step, done, total) => {
      if (step !== lastStep) {
        lastStep = step;
        stepStarted = performance.now();
      }
      if (done === total) console.log(`  ${step.padEnd(28)} ${String(total).padStart(8)} rows  ${Math.round(performance.now() - stepStarted)} ms`);
    },
  });
  console.log(`\nseeded scale=${summary.scale} seed=${summary.seed} in ${(summary.durationMs / 1000).toFixed(1)} s`);
  console.table(summary.counts);
  const total = Object.values(summary.counts).reduce((sum, rows) => sum + rows, 0);
  console.log(`${total} rows in total`);
} finally {
  await db.close();
}
