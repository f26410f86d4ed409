/**
 * Private engine instances for tests: Postgres, NATS (JetStream) and Redis started from the
 * installed binaries, on free ports, in a temp directory. Each returns a handle that can stop,
 * kill and restart the engine, so tests can inject faults.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class EngineMissingError extends Error {
  override readonly name = 'EngineMissingError';
  constructor(engine: string, hint: string) {
    super(`${engine} is not installed on this machine. ${hint}`);
  }
}

export interface EngineHandle {
  readonly url: string;
  readonly port: number;
  /** Stops the engine abruptly (SIGKILL for servers, immediate shutdown for Postgres). */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops it and removes its data. */
  dispose(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') return reject(new Error('no port'));
      server.close(() => resolve(address.port));
    });
  });
}

export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`Nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function which(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir, binary);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

const isRoot = process.getuid?.() === 0;

function postgresBinDir(): string {
  const onPath = which('pg_ctl');
  if (onPath) return join(onPath, '..');
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => join(root, v, 'bin')).find((dir) => existsSync(join(dir, 'pg_ctl')));
  if (!found) throw new EngineMissingError('PostgreSQL', 'Install it with `apt-get install postgresql` (15 or newer), or set TEST_DATABASE_URL.');
  return found;
}

/** Postgres refuses to run as root; as root we run its binaries as the `postgres` user. */
function runPostgresBinary(bin: string, args: string[]): void {
  const [cmd, cmdArgs] = isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  execFileSync(cmd, cmdArgs, { stdio: 'pipe' });
}

function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  return dir;
}

export async function startPostgres(): Promise<EngineHandle> {
  const bin = postgresBinDir();
  const dir = makeTempDir('niaga-pg-');
  const data = join(dir, 'data');
  const port = await freePort();
  runPostgresBinary(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c wal_level=logical',
    '-c max_replication_slots=20',
    '-c max_wal_senders=20',
    '-c max_connections=300',
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
  ].join(' ');
  const start = () => runPostgresBinary(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(dir, 'postgres.log'), '-w', '-t', '60', 'start']);
  const stop = (mode: 'fast' | 'immediate') => {
    try {
      runPostgresBinary(join(bin, 'pg_ctl'), ['-D', data, '-m', mode, '-w', 'stop']);
    } catch {
      // already stopped
    }
  };
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    kill: async () => stop('immediate'),
    restart: async () => start(),
    dispose: async () => {
      stop('immediate');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startServerProcess(
  name: string,
  binary: string,
  hint: string,
  argsFor: (port: number, dir: string) => string[],
): Promise<EngineHandle> {
  const path = which(binary) ?? [`/usr/sbin/${binary}`, `/usr/bin/${binary}`].find(existsSync);
  if (!path) throw new EngineMissingError(name, hint);
  const dir = mkdtempSync(join(tmpdir(), `niaga-${binary}-`));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(path, argsFor(port, dir), { stdio: 'ignore', detached: false });
    await waitForPort(port);
  };
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };
  await start();
  return {
    url: '',
    port,
    kill,
    restart: start,
    dispose: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startNats(): Promise<EngineHandle> {
  const handle = await startServerProcess(
    'NATS',
    'nats-server',
    'Install it with `apt-get install nats-server`, or set TEST_NATS_URL.',
    (port, dir) => ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir],
  );
  return { ...handle, url: `nats://127.0.0.1:${handle.port}` };
}

export async function startRedis(): Promise<EngineHandle> {
  const handle = await startServerProcess(
    'Redis',
    'redis-server',
    'Install it with `apt-get install redis-server`, or set TEST_REDIS_URL.',
    (port, dir) => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
  );
  return { ...handle, url: `redis://127.0.0.1:${handle.port}` };
}
