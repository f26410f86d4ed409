/**
 * Shared plumbing for the read-path benchmarks: a private Postgres (started, migrated, always
 * stopped), the sync server in a child process (so its RSS and CPU are its own), tokens, load
 * average, percentiles and the result table every benchmark prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPgExecutor, type PgExecutor } from '@niaga/db/pg';
import { createTokenService } from '@niaga/domain/auth';
import { migrate } from '@niaga/migrations';
import type { AccessClaims, Role } from '@niaga/protocol';
import { bundleServer } from '@niaga/sync-server/bundle';
import { startPostgres, type EngineHandle } from '@niaga/testing';
import pg from 'pg';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The 1, 5 and 15 minute load averages, as /proc/loadavg says them. */
export function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
}

/** Busy and total CPU time of the whole machine so far (/proc/stat, clock ticks), all cores. */
export function machineCpuTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}

/** Share of the machine's CPU (all cores) that was busy since `before`, as "87%". */
export function machineBusySince(before: { busy: number; total: number }): string {
  const now = machineCpuTicks();
  const total = now.total - before.total;
  return total > 0 ? `${Math.round((100 * (now.busy - before.busy)) / total)}%` : 'n/a';
}

// ---------------------------------------------------------------------------------------------
// Cleanup: everything started registers its stop here; it runs on success, error and signals.

const cleanups: (() => Promise<void>)[] = [];

export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups.pop()!;
    await fn().catch((error: unknown) => console.error('cleanup failed:', error));
  }
}

/** Runs a benchmark's main; whatever happens, every registered engine and child is stopped. */
export function runBenchmark(name: string, main: () => Promise<void>): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    console.error(`\n${signal}: stopping ${name}`);
    void runCleanups().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const started = performance.now();
  console.log(`# ${name}   (load average at start: ${loadAverage()}, node ${process.version})`);
  void main()
    .then(
      () => 0,
      (error: unknown) => {
        console.error(`${name} failed:`, error);
        return 1;
      },
    )
    .then(async (code) => {
      await runCleanups();
      console.log(`\n${name} finished in ${((performance.now() - started) / 1000).toFixed(1)} s (load average at end: ${loadAverage()})`);
      // Open sockets (fetch keep-alive, pools) must not keep a finished benchmark alive.
      process.exit(code);
    });
}

// ---------------------------------------------------------------------------------------------
// Postgres

export interface BenchDatabase {
  readonly url: string;
  readonly db: PgExecutor;
  /** A plain client for baselines and writers (one connection, text results). */
  client(): Promise<pg.Client>;
}

export interface BenchDatabaseOptions {
  /** e.g. ['pg_stat_statements']: loaded at start (the engine is restarted once to apply it). */
  readonly preloadLibraries?: readonly string[];
}

/**
 * A fresh Postgres (initdb on a free port, as startPostgres configures it), a new database,
 * migrated. synchronous_commit is set back to Postgres' default (on) for the database: the
 * test engine turns it off, and with it off a commit reaches logical decoding only when the WAL
 * writer flushes (up to 3 × wal_writer_delay later), which would measure the WAL writer, not us.
 */
export async function startBenchDatabase(options: BenchDatabaseOptions = {}): Promise<BenchDatabase> {
  const engine: EngineHandle = await startPostgres();
  onCleanup(() => engine.dispose());
  if (options.preloadLibraries && options.preloadLibraries.length > 0) {
    // shared_preload_libraries only takes effect at start: set it, then restart the engine.
    const setup = new pg.Client({ connectionString: engine.url });
    await setup.connect();
    try {
      await setup.query(`alter system set shared_preload_libraries = '${options.preloadLibraries.join(',')}'`);
    } finally {
      await setup.end();
    }
    await engine.kill();
    await engine.restart();
  }
  const name = `niaga_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: engine.url });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
    await admin.query(`alter database ${name} set synchronous_commit = on`);
  } finally {
    await admin.end();
  }
  const url = engine.url.replace(/\/postgres$/, `/${name}`);
  const db = createPgExecutor(url, { max: 4 });
  onCleanup(() => db.close());
  await migrate(db);
  return {
    url,
    db,
    async client() {
      const client = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC' });
      client.on('error', () => {});
      await client.connect();
      onCleanup(() => client.end().catch(() => {}));
      return client;
    },
  };
}

/** Transactions committed in the database so far (pg_stat_database; updated with a small delay). */
export async function committedTransactions(client: pg.Client): Promise<number> {
  await client.query('select pg_stat_clear_snapshot()');
  const { rows } = await client.query<{ n: string }>('select xact_commit::text as n from pg_stat_database where datname = current_database()');
  return Number(rows[0]!.n);
}

// ---------------------------------------------------------------------------------------------
// The sync server, in a child process

export interface ServerProcess {
  readonly pid: number;
  readonly baseUrl: string;
  readonly shapeUrl: string;
  readonly secret: string;
  /** VmRSS and VmHWM (peak) of the server process, in MB. */
  memory(): { rssMb: number; peakMb: number };
  /** Asks the server process for a full GC (it runs with --expose-gc), then reads memory() and its V8 heap figures. */
  memoryAfterGc(): Promise<MemoryAfterGc>;
  /** CPU seconds (user + system) the server process used so far. */
  cpuSeconds(): number;
  /** Live requests the server holds (its /metrics gauge). */
  waiting(): Promise<number>;
  token(role: Role, scope?: Partial<Omit<AccessClaims, 'role'>>): Promise<string>;
  stop(): Promise<void>;
}

export interface MemoryAfterGc {
  rssMb: number;
  peakMb: number;
  /** process.memoryUsage() in the server after the GC, MB (NaN when it did not answer). */
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
}

/** "rss 345 MB (V8 heap 60 used / 80 total, external 5)" */
export function describeMemory(memory: MemoryAfterGc): string {
  return `${fmt(memory.rssMb)} MB (V8 heap ${fmt(memory.heapUsedMb)} used / ${fmt(memory.heapTotalMb)} total, external ${fmt(memory.externalMb)})`;
}

export interface ServerOptions {
  /** BENCH_PROFILE=1: the child runs with --cpu-prof and its hottest functions are printed at stop. */
  readonly profile?: boolean;
  /** Extra server configuration (loadConfig variables), e.g. { NATS_URL }. */
  readonly config?: Readonly<Record<string, string>>;
}

/**
 * The server process runs as `npm start` runs the server: bundled (sync-server/scripts/bundle.ts)
 * and started with plain node. BENCH_SERVER=source runs the TypeScript sources under tsx instead.
 */
let bundled: Promise<string> | undefined;
function serverProcessArgs(): Promise<string[]> {
  const entry = join(repoRoot, 'bench', 'lib', 'server-process.ts');
  if (process.env.BENCH_SERVER === 'source') return Promise.resolve(['--import', 'tsx', entry]);
  bundled ??= bundleServer(entry, mkdtempSync(join(tmpdir(), 'niaga-bench-server-'))).then((file) => {
    console.log(`server process: the bundle ${file} on plain node (BENCH_SERVER=source: the sources under tsx)`);
    return file;
  });
  return bundled.then((file) => [file]);
}

function procStatus(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** The node flags of `npm start` (package.json) and the Dockerfile: keep the three in step. */
const productionNodeFlags = '--max-semi-space-size=8';

/** Server settings for every run, from BENCH_SERVER_CONFIG (JSON), e.g. '{"SHAPE_SNAPSHOT_SHARE_MS":"0"}'. */
function serverConfigFromEnv(): Record<string, string> {
  return JSON.parse(process.env.BENCH_SERVER_CONFIG ?? '{}') as Record<string, string>;
}

export async function startServerProcess(databaseUrl: string, options: ServerOptions = {}): Promise<ServerProcess> {
  const secret = randomBytes(24).toString('base64url');
  const profileDir = options.profile ? mkdtempSync(join(tmpdir(), 'niaga-bench-prof-')) : undefined;
  // BENCH_SERVER_NODE_FLAGS: node flags for the server process, to compare (e.g. V8 heap sizes;
  // '' for Node's defaults). By default the flags `npm start` and the Dockerfile run the server with.
  const extraFlags = (process.env.BENCH_SERVER_NODE_FLAGS ?? productionNodeFlags).split(' ').filter(Boolean);
  const execArgv = ['--expose-gc', ...extraFlags, ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [])];
  const child: ChildProcess = spawn(process.execPath, [...execArgv, ...(await serverProcessArgs())], {
    cwd: repoRoot,
    env: { ...process.env, BENCH_DATABASE_URL: databaseUrl, BENCH_JWT_SECRET: secret, BENCH_SERVER_CONFIG: JSON.stringify({ ...serverConfigFromEnv(), ...options.config }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    await exited;
  };
  onCleanup(kill);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('The server process did not start within 60 s')), 60_000);
    child.once('exit', (code) => reject(new Error(`The server process exited during start (code ${code})`)));
    child.on('message', (message: unknown) => {
      if (typeof message === 'object' && message !== null && 'port' in message && typeof message.port === 'number') {
        clearTimeout(timer);
        resolve(message.port);
      }
    });
  });
  const pid = child.pid!;
  const baseUrl = `http://127.0.0.1:${port}`;
  const tokens = createTokenService(secret, 3600);
  return {
    pid,
    baseUrl,
    shapeUrl: `${baseUrl}/v1/shape`,
    secret,
    memory: () => ({ rssMb: procStatus(pid, 'VmRSS'), peakMb: procStatus(pid, 'VmHWM') }),
    memoryAfterGc: async () => {
      const mb = (value: unknown) => (typeof value === 'number' ? value / 1024 / 1024 : Number.NaN);
      const heap = await new Promise<Record<string, unknown>>((resolve) => {
        const timer = setTimeout(() => resolve({}), 5000);
        const onMessage = (message: unknown) => {
          if (typeof message !== 'object' || message === null || !('type' in message) || message.type !== 'gc-done') return;
          child.off('message', onMessage);
          clearTimeout(timer);
          resolve(message);
        };
        child.on('message', onMessage);
        child.send({ type: 'gc' });
      });
      return { rssMb: procStatus(pid, 'VmRSS'), peakMb: procStatus(pid, 'VmHWM'), heapUsedMb: mb(heap.heapUsed), heapTotalMb: mb(heap.heapTotal), externalMb: mb(heap.external) };
    },
    cpuSeconds() {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks of 10 ms
    },
    async waiting() {
      const text = await (await fetch(`${baseUrl}/metrics`)).text();
      const match = /^niaga_shape_live_requests (\d+)/m.exec(text);
      return match ? Number(match[1]) : Number.NaN;
    },
    async token(role, scope = {}) {
      const { token } = await tokens.sign({ sub: randomUUID(), sid: randomUUID(), warehouse_id: null, territory_id: null, agent_id: null, customer_id: null, ...scope, role });
      return token;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.send({ type: 'stop' });
        const timer = setTimeout(() => void kill(), 20_000);
        await exited;
        clearTimeout(timer);
      }
      if (profileDir) {
        // One profile per thread (tsx runs a module-loader thread too): the main thread's is the largest.
        const files = readdirSync(profileDir).filter((name) => name.endsWith('.cpuprofile')).map((name) => join(profileDir, name));
        const file = files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
        if (file) {
          printProfile('Server', JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
          // BENCH_PROFILE_OUT=dir keeps the profile (open it in Chrome DevTools' Performance panel).
          const keep = process.env.BENCH_PROFILE_OUT;
          if (keep) {
            mkdirSync(keep, { recursive: true });
            const target = join(keep, `server-${Date.now()}.cpuprofile`);
            copyFileSync(file, target);
            console.log(`Server CPU profile kept: ${target}`);
          }
        }
        rmSync(profileDir, { recursive: true, force: true });
      }
    },
  };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number | undefined }[];
  startTime: number;
  endTime: number;
}

/** With `enabled`, runs fn under this process's CPU profiler and prints its hottest functions. */
export async function profiled<T>(enabled: boolean, label: string, fn: () => Promise<T>): Promise<T> {
  if (!enabled) return fn();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    printProfile(label, profile);
    // BENCH_PROFILE_OUT=dir keeps it too (open it in Chrome DevTools' Performance panel).
    const keep = process.env.BENCH_PROFILE_OUT;
    if (keep) {
      mkdirSync(keep, { recursive: true });
      writeFileSync(join(keep, `client-${Date.now()}.cpuprofile`), JSON.stringify(profile));
    }
  }
}

/** The 15 hottest functions by self time, and self time by package. */
function printProfile(label: string, profile: CpuProfile): void {
  const total = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
  if (total === 0) return;
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const short = url.replace(/^file:\/\//, '').replace(/.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '').replace(`${repoRoot}/`, '');
    const key = `${functionName || '(anonymous)'}  ${short}:${lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + hits);
    const pkg = url === '' ? functionName : (/node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.startsWith('node:') ? 'node internals' : short.split('/').slice(0, 2).join('/')));
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
  }
  const seconds = (profile.endTime - profile.startTime) / 1e6;
  const pct = (hits: number) => `${((100 * hits) / total).toFixed(1).padStart(5)}%`;
  console.log(`\n${label} CPU profile (${seconds.toFixed(1)} s sampled): self time by function`);
  for (const [key, hits] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${pct(hits)}  ${key}`);
  console.log('Self time by package / file:');
  for (const [key, hits] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`  ${pct(hits)}  ${key}`);
}

// ---------------------------------------------------------------------------------------------
// Numbers

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export const fmt = (value: number, digits = 1) => (Number.isFinite(value) ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');

export interface ResultRow {
  readonly metric: string;
  readonly figure: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly goal: string;
  readonly met: string;
}

/** figure / baseline, as "×2.3" (how many times the baseline). */
export function ratio(figure: number, baseline: number): string {
  return Number.isFinite(figure) && Number.isFinite(baseline) && baseline !== 0 ? `×${fmt(figure / baseline, 2)}` : '—';
}

export const met = (ok: boolean | undefined) => (ok === undefined ? '—' : ok ? 'met' : 'NOT met');

/** A Markdown table, so it can be pasted into RESULTS.md as is. */
export function printTable(title: string, rows: readonly ResultRow[]): void {
  const header: ResultRow = { metric: 'metric', figure: 'figure', baseline: 'baseline (same run)', ratio: 'ratio', goal: 'goal', met: 'met?' };
  const keys = Object.keys(header) as (keyof ResultRow)[];
  const widths = keys.map((key) => Math.max(...[header, ...rows].map((row) => row[key].length)));
  const line = (row: ResultRow) => `| ${keys.map((key, i) => row[key].padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}
