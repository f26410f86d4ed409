/**
 * Client library rebase (issue 5's second speed goal): a picker's device holds PENDING (100)
 * mutations it ran optimistically (80 % stock.adjust, 20 % stock.count, over PRODUCTS_TOUCHED (4)
 * products), and a server commit of COMMIT_ROWS (1,000) rows arrives. Timed: `applyCommit` in one
 * store transaction, `store.transaction((tx) => applyCommit(tx, commit, …))`, from the call until
 * it has committed, for the PGlite store (memory, from a dumped empty database) and the Dexie store
 * (fake-indexeddb), each case RUNS (7) times on a fresh store; the figure is the median.
 *
 * Cases (the expected plan is checked on every run):
 *   a   the commit touches nothing the pending mutations read or wrote: all kept in place;
 *   b   it confirms mutations 1–50 (sync.clients' last_mutation_id, and the server's rows of what
 *       they wrote), and 51–100 are on other products: 50 undone and dropped, 50 kept;
 *   b′  the same confirmation with the 100 mutations interleaved over the products: 51–100 read
 *       the stock rows 1–50 wrote, so they are undone and replayed;
 *   c   it changes the stock rows every mutation reads: all 100 undone and replayed.
 * Each commit is padded to COMMIT_ROWS rows with changes to other products (catalogue updates,
 * their stock rows, new movements). The local store holds LOCAL_PRODUCTS (2,000) products with
 * a stock row each and 2 movements each, in one warehouse.
 *
 * Baseline in the same run: the same commit applied the same way to the same local state with no
 * pending mutations. Not timed: opening the store, creating the tables, the local state, running
 * the pending mutations.
 *
 *   node_modules/.bin/tsx bench/client-rebase.ts    (RUNS=7 PENDING=100 COMMIT_ROWS=1000 STORES=pglite,dexie BUNDLED=1 BENCH_PROFILE=1)
 *
 * The library is bundled by esbuild first, as apps ship it; BUNDLED=0 runs it from source
 * through tsx (see lib/client-library.ts).
 *
 * BENCH_PROFILE=1 CPU-profiles this process during extra runs of cases a and c (PROFILE_CASES=a,c)
 * on each store, setup included, and prints the hottest functions.
 */
import type { Commit, LocalRow, LocalStore, PendingMutation, StoreTx, TableSpec } from '@niaga/sync';
import type { DeviceContext } from '../clients/sync/src/device-mutation.ts';
import type { RebaseContext, RebaseResult } from '../clients/sync/src/rebase.ts';
import type { AlignedChange } from '../clients/sync/src/transaction-aligner.ts';
import { clientLibrary, libraryBuild } from './lib/client-library.ts';
import { collectGarbage, openStore, pgliteTemplate, type StoreKind } from './lib/client-stores.ts';

const { CLIENTS_TABLE } = clientLibrary;
import { fmt, loadAverage, median, met, printTable, profiled, runBenchmark, type ResultRow } from './lib/harness.ts';

const runs = Number(process.env.RUNS ?? '7');
const pendingCount = Number(process.env.PENDING ?? '100');
const commitRows = Number(process.env.COMMIT_ROWS ?? '1000');
const productsTouched = Number(process.env.PRODUCTS_TOUCHED ?? '4');
const localProducts = Number(process.env.LOCAL_PRODUCTS ?? '2000');
const kinds = (process.env.STORES ?? 'pglite,dexie').split(',').filter((kind): kind is StoreKind => kind === 'pglite' || kind === 'dexie');
const profile = process.env.BENCH_PROFILE === '1';
/** The cases BENCH_PROFILE profiles (comma-separated keys). */
const profileCases = (process.env.PROFILE_CASES ?? 'a,c').split(',');
const goalMs = 50;

const uuid = (kind: number, n: number) => `00000000-0000-4000-8${String(kind).padStart(3, '0')}-${String(n).padStart(12, '0')}`;
const warehouseID = uuid(1, 1);
const clientID = 'bench-device';
const productID = (n: number) => uuid(2, n);
const stockID = (n: number) => uuid(3, n);
const col = (name: string, type: string, dims?: number) => (dims ? { name, type, dims } : { name, type });

/** The picker's tables as the shapes describe them (the server's columns; products without cost), with the indexes its app declares. */
const specs: TableSpec[] = [
  { name: 'inventory.warehouses', columns: [col('id', 'uuid'), col('code', 'text'), col('name', 'text'), col('address', 'text'), col('timezone', 'text'), col('active', 'bool'), col('created_at', 'timestamptz'), col('updated_at', 'timestamptz')] },
  {
    name: 'catalog.products',
    columns: [col('id', 'uuid'), col('sku', 'text'), col('barcode', 'text'), col('name', 'text'), col('description', 'text'), col('category_id', 'uuid'), col('tags', 'text', 1), col('active', 'bool'), col('price_minor', 'int8'), col('currency', 'bpchar'), col('unit', 'text'), col('created_at', 'timestamptz'), col('updated_at', 'timestamptz')],
  },
  {
    name: 'inventory.stock_items',
    columns: [col('id', 'uuid'), col('warehouse_id', 'uuid'), col('product_id', 'uuid'), col('bin_id', 'uuid'), col('on_hand', 'int4'), col('reserved', 'int4'), col('available', 'int4'), col('reorder_point', 'int4'), col('version', 'int4'), col('last_counted_at', 'timestamptz'), col('created_at', 'timestamptz'), col('updated_at', 'timestamptz')],
    indexes: ['product_id'],
  },
  {
    name: 'inventory.movements',
    columns: [
      col('id', 'uuid'), col('warehouse_id', 'uuid'), col('product_id', 'uuid'), col('bin_id', 'uuid'), col('kind', 'text'), col('quantity', 'int4'), col('affects_on_hand', 'bool'), col('reason', 'text'), col('reference_type', 'text'), col('reference_id', 'uuid'),
      col('occurred_at', 'timestamptz'), col('recorded_at', 'timestamptz'), col('user_id', 'uuid'), col('client_id', 'text'), col('mutation_id', 'int8'), col('created_at', 'timestamptz'), col('updated_at', 'timestamptz'),
    ],
    indexes: ['product_id'],
  },
  {
    name: 'inventory.count_lines',
    columns: [
      col('id', 'uuid'), col('session_id', 'uuid'), col('warehouse_id', 'uuid'), col('bin_id', 'uuid'), col('product_id', 'uuid'), col('counted_qty', 'int4'), col('expected_qty', 'int4'), col('variance', 'int4'), col('status', 'text'), col('occurred_at', 'timestamptz'),
      col('counted_by', 'uuid'), col('client_id', 'text'), col('mutation_id', 'int8'), col('created_at', 'timestamptz'), col('updated_at', 'timestamptz'),
    ],
    indexes: ['product_id'],
  },
  { name: CLIENTS_TABLE, columns: [col('id', 'text'), col('client_group_id', 'text'), col('user_id', 'uuid'), col('last_mutation_id', 'int8'), col('clock_offset_ms', 'int4'), col('created_at', 'timestamptz'), col('updated_at', 'timestamptz')] },
];

const at = (second: number) => new Date(Date.UTC(2026, 10, 24, 8, 0, 0) + second * 1000).toISOString().replace('T', ' ').replace('Z', '+00');
const product = (n: number, version = 0): LocalRow => ({
  id: productID(n), sku: `SKU-${String(n).padStart(7, '0')}`, barcode: String(4006381000000 + n), name: `Cordless drill #${n}${version ? ` v${version}` : ''}`,
  description: 'Sturdy, reliable "pro" grade; ships in 24h. ', category_id: null, tags: [`tag-${n % 7}`], active: true, price_minor: 100 + n + version, currency: 'USD', unit: 'each', created_at: at(0), updated_at: at(version),
});
const stock = (n: number, onHand: number, version = 1): LocalRow => ({
  id: stockID(n), warehouse_id: warehouseID, product_id: productID(n), bin_id: null, on_hand: onHand, reserved: 0, available: onHand, reorder_point: 5, version, last_counted_at: null, created_at: at(0), updated_at: at(version),
});
let movementSerial = 0;
const movement = (n: number, quantity: number, second: number): LocalRow => ({
  id: uuid(4, ++movementSerial), warehouse_id: warehouseID, product_id: productID(n), bin_id: null, kind: 'receipt', quantity, affects_on_hand: true, reason: '', reference_type: null, reference_id: null,
  occurred_at: at(second), recorded_at: at(second), user_id: null, client_id: null, mutation_id: null, created_at: at(second), updated_at: at(second),
});

/** The local state before the pending mutations: a warehouse, products with a stock row each, 2 movements each. Products 1..productsTouched are the ones the device works on. */
async function seedLocal(tx: StoreTx): Promise<void> {
  await tx.putMany('inventory.warehouses', [{ id: warehouseID, code: 'WH-1', name: 'Main', address: '', timezone: 'UTC', active: true, created_at: at(0), updated_at: at(0) }]);
  const ns = Array.from({ length: localProducts }, (_, i) => i + 1);
  await tx.putMany('catalog.products', ns.map((n) => product(n)));
  await tx.putMany('inventory.stock_items', ns.map((n) => stock(n, 100)));
  movementSerial = 0;
  await tx.putMany('inventory.movements', ns.flatMap((n) => [movement(n, 60, 10), movement(n, 40, 20)]));
  await tx.putMany(CLIENTS_TABLE, [{ id: clientID, client_group_id: 'bench-group', user_id: uuid(5, 1), last_mutation_id: 0, clock_offset_ms: 0, created_at: at(0), updated_at: at(0) }]);
}

type Layout = 'interleaved' | 'halves';

/** Mutation i (1-based): every fifth a count, the others adjustments; the product by layout. */
function mutationOf(i: number, layout: Layout): Omit<PendingMutation, 'undo' | 'reads'> {
  const half = Math.max(1, Math.floor(productsTouched / 2));
  const n = layout === 'interleaved' ? 1 + ((i - 1) % productsTouched) : i <= pendingCount / 2 ? 1 + ((i - 1) % half) : 1 + half + ((i - 1) % (productsTouched - half));
  const occurredAt = new Date(Date.UTC(2026, 10, 24, 9, 0, 0) + i * 1000).toISOString();
  const base = { id: i, clientID, createdAt: occurredAt };
  return i % 5 === 0
    ? { ...base, name: 'stock.count', args: { countID: uuid(6, i), warehouseID, productID: productID(n), countedQty: 90 + (i % 20), occurredAt } }
    : { ...base, name: 'stock.adjust', args: { adjustmentID: uuid(7, i), warehouseID, productID: productID(n), delta: (i % 7) - 3 || 2, reason: 'bench', occurredAt } };
}

const deviceContext = (): DeviceContext => ({
  actor: { sub: uuid(5, 1), role: 'warehouse', warehouse_id: warehouseID, territory_id: null, agent_id: null, customer_id: null },
  localTables: new Set(specs.map((spec) => spec.name)),
});
const rebaseContext = (): RebaseContext => ({ ...deviceContext(), clientID, tableOf: (shape) => shape });

/**
 * Runs the pending mutations (as `mutate` does: each recorded and queued); returns the server's
 * rows of what mutations 1..confirmThrough wrote, as the server would send them when it confirms
 * them (the rows as they stood after that mutation, counts applied).
 */
async function runPending(tx: StoreTx, layout: Layout, confirmThrough: number): Promise<AlignedChange[]> {
  const confirmed: AlignedChange[] = [];
  for (let i = 1; i <= pendingCount; i++) {
    const mutation = mutationOf(i, layout);
    await tx.putPending({ ...mutation, ...(await clientLibrary.runOnDevice(tx, mutation, deviceContext())) });
    if (i === confirmThrough) {
      const touched = new Map<string, string>();
      for (const queued of await tx.listPending()) for (const entry of queued.undo) touched.set(`${entry.table}/${entry.id}`, entry.table);
      for (const [key, table] of touched) {
        const row = await tx.get(table, key.slice(table.length + 1));
        if (!row) continue;
        const server = table === 'inventory.count_lines' ? { ...row, status: 'applied', expected_qty: row.counted_qty, variance: 0 } : row;
        confirmed.push({ shape: table, operation: 'update', lsn: 100n, row: server });
      }
      confirmed.push({ shape: CLIENTS_TABLE, operation: 'update', lsn: 100n, row: { id: clientID, client_group_id: 'bench-group', user_id: uuid(5, 1), last_mutation_id: confirmThrough, clock_offset_ms: 0, created_at: at(0), updated_at: at(100) } });
    }
  }
  return confirmed;
}

/** Changes to products the device does not work on, to make the commit `count` rows long: 40 % catalogue, 40 % stock, 20 % new movements. */
function unrelated(count: number): AlignedChange[] {
  const changes: AlignedChange[] = [];
  for (let i = 0; i < count; i++) {
    const k = i % 5;
    const target = productsTouched + 1 + (i % (localProducts - productsTouched));
    if (k < 2) changes.push({ shape: 'catalog.products', operation: 'update', lsn: 100n, row: product(target, 2) });
    else if (k < 4) changes.push({ shape: 'inventory.stock_items', operation: 'update', lsn: 100n, row: stock(target, 120, 2) });
    else changes.push({ shape: 'inventory.movements', operation: 'insert', lsn: 100n, row: movement(target, 20, 50) });
  }
  return changes;
}

const commitOf = (changes: AlignedChange[]): Commit => ({ lsn: 100n, refetched: [], changes, cursors: new Map(), initial: false });

interface Case {
  readonly key: string;
  readonly label: string;
  readonly layout: Layout;
  /** Mutations the commit confirms (0: none). */
  readonly confirm: number;
  /** The commit changes the stock rows of every product the mutations touch. */
  readonly touchAll: boolean;
  readonly expect: { confirmed: number; replayed: number };
}

const half = Math.floor(pendingCount / 2);
const cases: Case[] = [
  { key: 'a', label: 'unrelated commit (all kept in place)', layout: 'interleaved', confirm: 0, touchAll: false, expect: { confirmed: 0, replayed: 0 } },
  { key: 'b', label: `confirms 1–${half}, the rest on other products (${pendingCount - half} kept)`, layout: 'halves', confirm: half, touchAll: false, expect: { confirmed: half, replayed: 0 } },
  { key: 'b′', label: `confirms 1–${half}, products interleaved (${pendingCount - half} replayed)`, layout: 'interleaved', confirm: half, touchAll: false, expect: { confirmed: half, replayed: pendingCount - half } },
  { key: 'c', label: `touches the stock rows every mutation reads (all ${pendingCount} replayed)`, layout: 'interleaved', confirm: 0, touchAll: true, expect: { confirmed: 0, replayed: pendingCount } },
];

/**
 * Time per StoreTx method (ms), and calls. `attempt` (a savepoint) is counted but not timed: its
 * work is the calls made inside it. The rebase takes one around its prefetch and one per store
 * call a replayed mutator needs (before 2026-12-06: one per mutator run). A store's own inner
 * calls (put → putMany) go to the store, not through here, so nothing is counted twice.
 */
type CallTimes = Map<string, { ms: number; calls: number }>;

function timedTx(tx: StoreTx, times: CallTimes): StoreTx {
  const timed = Object.create(tx) as Record<string, unknown>;
  for (const method of ['get', 'getMany', 'list', 'put', 'putMany', 'delete', 'deleteMany', 'clear', 'getMeta', 'setMeta', 'listPending', 'putPending', 'putPendingMany', 'deletePendingThrough', 'attempt'] as const) {
    const original = (tx[method] as (...args: unknown[]) => Promise<unknown>).bind(tx);
    timed[method] = async (...args: unknown[]) => {
      const start = performance.now();
      try {
        return await original(...args);
      } finally {
        const entry = times.get(method) ?? { ms: 0, calls: 0 };
        entry.calls += 1;
        if (method !== 'attempt') entry.ms += performance.now() - start;
        times.set(method, entry);
      }
    };
  }
  return timed as unknown as StoreTx;
}

interface Run {
  /** store.transaction(applyCommit), until committed. */
  ms: number;
  /** applyCommit alone (inside the transaction). */
  applyMs: number;
  result: RebaseResult;
  times: CallTimes;
}

/** A fresh store with the local state, the pending mutations (unless `withPending` is false), then the timed commit. */
async function oneRun(kind: StoreKind, template: Blob, which: Case, withPending: boolean): Promise<Run> {
  const store: LocalStore = await openStore(kind, template);
  try {
    await store.ensureTables(specs);
    await store.transaction(seedLocal);
    let confirmedRows: AlignedChange[] = [];
    if (withPending) confirmedRows = await store.transaction((tx) => runPending(tx, which.layout, which.confirm));
    else if (which.confirm > 0) {
      // The same commit needs the same rows: take them from a dry run of the mutations, rolled back.
      confirmedRows = await rolledBack(store, (tx) => runPending(tx, which.layout, which.confirm));
    }
    const touched = which.touchAll ? Array.from({ length: productsTouched }, (_, i): AlignedChange => ({ shape: 'inventory.stock_items', operation: 'update', lsn: 100n, row: stock(i + 1, 150, 5) })) : [];
    const changes = [...confirmedRows, ...touched];
    const commit = commitOf([...changes, ...unrelated(commitRows - changes.length)]);
    if (commit.changes.length !== commitRows) throw new Error(`the commit has ${commit.changes.length} rows`);
    collectGarbage();
    const times: CallTimes = new Map();
    let applyMs = 0;
    const started = performance.now();
    const result = await store.transaction(async (tx) => {
      const begun = performance.now();
      const outcome = await clientLibrary.applyCommit(timedTx(tx, times), commit, rebaseContext(), '2026-11-24T10:00:00.000Z');
      applyMs = performance.now() - begun;
      return outcome;
    });
    const ms = performance.now() - started;
    const expected = withPending ? which.expect : { confirmed: 0, replayed: 0 };
    if (result.confirmed !== expected.confirmed || result.replayed !== expected.replayed || result.refusedOnReplay.length > 0) {
      throw new Error(`${kind} case ${which.key}${withPending ? '' : ' (baseline)'}: confirmed ${result.confirmed}, replayed ${result.replayed}, refused ${result.refusedOnReplay.length}; expected ${JSON.stringify(expected)}`);
    }
    if (withPending) await check(store, which, result);
    return { ms, applyMs, result, times };
  } finally {
    await store.close();
  }
}

class Rollback extends Error {
  constructor(readonly value: unknown) {
    super('rollback');
  }
}

async function rolledBack<T>(store: LocalStore, work: (tx: StoreTx) => Promise<T>): Promise<T> {
  try {
    await store.transaction(async (tx) => {
      throw new Rollback(await work(tx));
    });
  } catch (error) {
    if (error instanceof Rollback) return error.value as T;
    throw error;
  }
  throw new Error('unreachable');
}

/** After the commit: the queue holds exactly the unconfirmed mutations, and each touched product's stock is what running them on the server's rows gives. */
async function check(store: LocalStore, which: Case, result: RebaseResult): Promise<void> {
  const { pending, stocks } = await store.transaction(async (tx) => ({
    pending: await tx.listPending(),
    stocks: await Promise.all(Array.from({ length: productsTouched }, (_, i) => tx.get('inventory.stock_items', stockID(i + 1)))),
  }));
  if (pending.length !== pendingCount - which.confirm || pending[0]?.id !== which.confirm + 1 || result.pending !== pending.length) throw new Error(`case ${which.key}: ${pending.length} pending after the commit`);
  if (stocks.some((row) => row === undefined)) throw new Error(`case ${which.key}: a stock row is missing`);
}

runBenchmark('client-rebase', async () => {
  const template = await pgliteTemplate();
  console.log(`client library ${libraryBuild}; ${pendingCount} pending mutations over ${productsTouched} products, commits of ${commitRows} rows, local state of ${localProducts} products (+ stock rows, ${2 * localProducts} movements); stores: ${kinds.join(', ')}; ${runs} runs per figure`);
  // Warm-up: every case once on each store (JIT, PGlite's wasm), not measured.
  for (const kind of kinds) for (const which of cases) await oneRun(kind, template, which, true);

  const results = new Map<string, { runs: Run[]; baseline: Run[] }>();
  const loads: string[] = [];
  for (let round = 1; round <= runs; round++) {
    loads.push(loadAverage());
    const parts: string[] = [];
    for (const kind of kinds) {
      for (const which of cases) {
        const key = `${kind}/${which.key}`;
        const entry = results.get(key) ?? { runs: [], baseline: [] };
        results.set(key, entry);
        // Alternate which goes first, so drift in the machine's load does not favour one side.
        const pair = round % 2 === 0 ? [true, false] : [false, true];
        for (const withPending of pair) (withPending ? entry.runs : entry.baseline).push(await oneRun(kind, template, which, withPending));
        parts.push(`${kind} ${which.key} ${fmt(entry.runs.at(-1)!.ms)}/${fmt(entry.baseline.at(-1)!.ms)}`);
      }
    }
    console.log(`round ${round} (load ${loads.at(-1)}), with/without pending ms: ${parts.join(', ')}`);
  }
  if (profile) {
    for (const kind of kinds) {
      for (const which of cases.filter((one) => profileCases.includes(one.key))) {
        await profiled(true, `Client (${kind}), case ${which.key}, ${runs} runs (setup included)`, async () => {
          for (let i = 0; i < runs; i++) await oneRun(kind, template, which, true);
        });
      }
    }
  }

  const table: ResultRow[] = [];
  for (const kind of kinds) {
    for (const which of cases) {
      const { runs: measured, baseline } = results.get(`${kind}/${which.key}`)!;
      const ms = median(measured.map((run) => run.ms));
      const base = median(baseline.map((run) => run.ms));
      table.push({
        metric: `${kind === 'pglite' ? 'PGlite' : 'Dexie (fake-indexeddb)'} ${which.key}: ${which.label}`,
        figure: `${fmt(ms)} ms (min ${fmt(Math.min(...measured.map((run) => run.ms)))}, max ${fmt(Math.max(...measured.map((run) => run.ms)))})`,
        baseline: `no pending ${fmt(base)} ms`,
        ratio: `×${fmt(ms / base, 1)}`,
        goal: `≤ ${goalMs} ms`,
        met: met(ms <= goalMs),
      });
    }
  }
  printTable(`client-rebase: ${pendingCount} pending mutations, ${commitRows}-row commit, store.transaction(applyCommit) until committed, medians of ${runs} (load average now ${loadAverage()}; at each round's start ${loads.join(' | ')})`, table);

  console.log('\nWhere the time goes (median run of each case): store calls by method, ms (calls); "JS" is applyCommit minus its store calls (planning, mutators, undo bookkeeping); "tx" is BEGIN/COMMIT and queueing around applyCommit.');
  for (const kind of kinds) {
    for (const which of cases) {
      const { runs: measured, baseline } = results.get(`${kind}/${which.key}`)!;
      for (const [label, list] of [['pending', measured], ['baseline', baseline]] as const) {
        const sorted = [...list].sort((a, b) => a.ms - b.ms);
        const run = sorted[Math.ceil(sorted.length / 2) - 1]!;
        let inCalls = 0;
        const calls = [...run.times]
          .filter(([method]) => method !== 'attempt')
          .sort((a, b) => b[1].ms - a[1].ms)
          .map(([method, { ms, calls: count }]) => {
            inCalls += ms;
            return `${method} ${fmt(ms)} (${count})`;
          });
        console.log(`  ${kind} ${which.key} ${label.padEnd(8)} total ${fmt(run.ms)}: applyCommit ${fmt(run.applyMs)} = ${calls.join(', ')}, JS ${fmt(run.applyMs - inCalls)}; tx ${fmt(run.ms - run.applyMs)}; attempts (savepoints) ${run.times.get('attempt')?.calls ?? 0}`);
      }
    }
  }
});
