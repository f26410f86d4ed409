/**
 * The server's one typed config, read from the environment once at start. Every bad variable is
 * reported at once (ConfigError lists them all), so a deploy fails fast with a full list.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

export interface Config {
  port: number;
  host: string;
  /** Unset: embedded PGlite in dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** The built apps: `<appsDir>/agent/index.html`, … (Vite's output; `npm run build:apps`). */
  appsDir: string;
  natsUrl: string | undefined;
  /** The JetStream stream and subject prefix events go to (one set per deployment). */
  natsStream: string;
  natsSubjectPrefix: string;
  redisUrl: string | undefined;
  meiliUrl: string | undefined;
  s3Url: string | undefined;
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** A spent refresh token retried this soon, its successor unused, is a lost answer, not a theft. */
  refreshReuseGraceSeconds: number;
  demo: boolean;
  demoPassword: string;
  demoScale: 'small' | 'large';
  demoSeed: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  bodyLimitBytes: number;
  /** A connection making no progress either way this long is closed (longer than the 20 s long-poll hold). */
  httpIdleTimeoutMs: number;
  /** Change log entries older than this are compacted away; clients further behind resync. */
  changeLogRetentionHours: number;
  /** Shape snapshots with more rows than this are served in pages. */
  snapshotPageRows: number;
  /** A snapshot's later pages nobody asks for this long (and none being sent) are deleted; its client gets a 409 and starts over. */
  snapshotIdleMs: number;
  /**
   * How many big snapshots may be read at once, each holding a pooled connection (of 10) until it
   * is read whole; past it, a snapshot of more than one page is refused (503, the client tries again).
   */
  snapshotMaxReaders: number;
  /** For how long a one-page snapshot is given to other clients starting the same shape (0: each takes its own). */
  snapshotShareMs: number;
  /** Live shape requests (long-polls, SSE streams) one user may hold at once on an instance. */
  maxLiveRequestsPerUser: number;
  /** The folder in which each process makes its own folder for the later pages of big snapshots (default `<dataDir>/snapshots`). */
  snapshotSpoolDir: string;
  /** How much disk those pages may take together; past half of it, big snapshots are refused (503) until some are downloaded. */
  snapshotSpoolMaxMb: number;
  /** Past this many messages in all live shape logs together, they reach back no further than the tail (ChangeFeed). */
  liveLogsMaxMessages: number;
  /** A stock count off from the ledger by more units than this waits for an admin. */
  countVarianceThreshold: number;
  /** A price quoted by an offline device is honoured if it was the catalogue price this many hours ago. */
  priceHonourWindowHours: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}\nSee .env.example for every variable.`);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optionalUrl(name: string, protocols: readonly string[]): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      const url = new URL(value);
      if (protocols.includes(url.protocol)) return value;
      this.problems.push(`${name} must be a ${protocols.join(' or ')} URL, got "${url.protocol}"`);
    } catch {
      this.problems.push(`${name} is not a URL: "${value}"`);
    }
    return undefined;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (Number.isInteger(parsed) && parsed >= min && parsed <= max) return parsed;
    this.problems.push(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
    return fallback;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes'].includes(value)) return true;
    if (['0', 'false', 'no'].includes(value)) return false;
    this.problems.push(`${name} must be 1/0 or true/false, got "${value}"`);
    return fallback;
  }

  secret(name: string, minLength: number): string | undefined {
    const value = this.raw(name);
    if (value !== undefined && value.length < minLength) this.problems.push(`${name} must be at least ${minLength} characters`);
    return value;
  }
}

/** Reads the persisted demo signing key, creating it on first start, so tokens survive restarts. */
function demoSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const read = new Reader(env);
  const databaseUrl = read.optionalUrl('DATABASE_URL', ['postgres:', 'postgresql:']);
  const dataDir = resolve(cwd, read.string('NIAGA_DATA_DIR', '.niaga'));
  const demo = read.boolean('NIAGA_DEMO', env.DATABASE_URL === undefined || env.DATABASE_URL.trim() === '');
  const configuredSecret = read.secret('JWT_SECRET', 32);
  if (configuredSecret === undefined && !demo) read.problems.push('JWT_SECRET is required outside demo mode (32+ random characters)');
  const config: Config = {
    port: read.integer('PORT', 8080, 0, 65535),
    host: read.string('HOST', '0.0.0.0'),
    databaseUrl,
    dataDir,
    appsDir: resolve(cwd, read.string('NIAGA_APPS_DIR', 'dist/apps')),
    natsUrl: read.optionalUrl('NATS_URL', ['nats:', 'tls:']),
    natsStream: read.string('NATS_STREAM', 'NIAGA'),
    natsSubjectPrefix: read.string('NATS_SUBJECT_PREFIX', 'niaga'),
    redisUrl: read.optionalUrl('REDIS_URL', ['redis:', 'rediss:']),
    meiliUrl: read.optionalUrl('MEILI_URL', ['http:', 'https:']),
    s3Url: read.optionalUrl('S3_URL', ['http:', 'https:', 's3:']),
    jwtSecret: configuredSecret ?? '',
    accessTokenTtlSeconds: read.integer('ACCESS_TOKEN_TTL_SECONDS', 15 * 60, 30, 24 * 3600),
    refreshTokenTtlSeconds: read.integer('REFRESH_TOKEN_TTL_SECONDS', 30 * 24 * 3600, 60, 365 * 24 * 3600),
    refreshReuseGraceSeconds: read.integer('REFRESH_REUSE_GRACE_SECONDS', 30, 0, 600),
    demo,
    demoPassword: read.string('NIAGA_DEMO_PASSWORD', 'niaga-demo'),
    demoScale: read.oneOf('NIAGA_DEMO_SCALE', ['small', 'large'] as const, 'small'),
    demoSeed: read.integer('NIAGA_DEMO_SEED', 42, 0, 2 ** 31 - 1),
    logLevel: read.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    bodyLimitBytes: read.integer('BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    httpIdleTimeoutMs: read.integer('HTTP_IDLE_TIMEOUT_MS', 120_000, 30_000, 3_600_000),
    changeLogRetentionHours: read.integer('CHANGE_LOG_RETENTION_HOURS', 14 * 24, 1, 365 * 24),
    snapshotPageRows: read.integer('SHAPE_SNAPSHOT_PAGE_ROWS', 10_000, 1, 1_000_000),
    snapshotIdleMs: read.integer('SHAPE_SNAPSHOT_IDLE_MS', 120_000, 100, 24 * 3_600_000),
    snapshotMaxReaders: read.integer('SHAPE_SNAPSHOT_MAX_READERS', 4, 1, 1_000),
    maxLiveRequestsPerUser: read.integer('SHAPE_MAX_LIVE_REQUESTS_PER_USER', 200, 1, 1_000_000),
    snapshotShareMs: read.integer('SHAPE_SNAPSHOT_SHARE_MS', 5_000, 0, 600_000),
    snapshotSpoolDir: resolve(cwd, read.string('SHAPE_SNAPSHOT_SPOOL_DIR', join(dataDir, 'snapshots'))),
    snapshotSpoolMaxMb: read.integer('SHAPE_SNAPSHOT_SPOOL_MAX_MB', 2048, 1, 1024 * 1024),
    liveLogsMaxMessages: read.integer('SHAPE_LIVE_LOGS_MAX_MESSAGES', 1_000_000, 0, 100_000_000),
    countVarianceThreshold: read.integer('COUNT_VARIANCE_THRESHOLD', 20, 0, 1_000_000_000),
    priceHonourWindowHours: read.integer('PRICE_HONOUR_WINDOW_HOURS', 72, 0, 24 * 365),
  };
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  if (config.jwtSecret === '') config.jwtSecret = demoSecret(dataDir);
  return config;
}
