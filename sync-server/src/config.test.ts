import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const tempDir = () => mkdtempSync(join(tmpdir(), 'niaga-config-'));

describe('config', () => {
  test('an empty environment means embedded PGlite in ./.niaga, demo mode, port 8080', () => {
    const cwd = tempDir();
    const config = loadConfig({}, cwd);
    expect(config).toMatchObject({ port: 8080, databaseUrl: undefined, dataDir: join(cwd, '.niaga'), demo: true, demoPassword: 'niaga-demo', demoScale: 'small' });
    expect(config.jwtSecret.length).toBeGreaterThanOrEqual(32);
  });

  test('the demo signing key is persisted, so tokens survive a restart', () => {
    const cwd = tempDir();
    const first = loadConfig({}, cwd);
    expect(loadConfig({}, cwd).jwtSecret).toBe(first.jwtSecret);
    expect(readFileSync(join(cwd, '.niaga', 'jwt-secret'), 'utf8')).toBe(first.jwtSecret);
  });

  test('a DATABASE_URL turns demo mode off unless asked for, and then a JWT_SECRET is required', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://localhost/niaga' }, tempDir())).toThrow(/JWT_SECRET is required/);
    const config = loadConfig({ DATABASE_URL: 'postgres://localhost/niaga', JWT_SECRET: 'x'.repeat(40) }, tempDir());
    expect(config).toMatchObject({ demo: false, databaseUrl: 'postgres://localhost/niaga' });
    expect(loadConfig({ DATABASE_URL: 'postgres://localhost/niaga', NIAGA_DEMO: '1' }, tempDir()).demo).toBe(true);
  });

  test('every bad variable is reported at once', () => {
    let error: unknown;
    try {
      loadConfig(
        { PORT: 'eighty', DATABASE_URL: 'mysql://x', NATS_URL: 'not a url', NIAGA_DEMO_SCALE: 'huge', JWT_SECRET: 'short', LOG_LEVEL: 'loud', NIAGA_DEMO: 'maybe' },
        tempDir(),
      );
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(7);
    for (const name of ['PORT', 'DATABASE_URL', 'NATS_URL', 'NIAGA_DEMO_SCALE', 'JWT_SECRET', 'LOG_LEVEL', 'NIAGA_DEMO']) {
      expect(problems.some((problem) => problem.startsWith(name))).toBe(true);
    }
    expect((error as ConfigError).message).toContain('.env.example');
  });

  test('blank variables count as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '  ' }, tempDir())).toMatchObject({ port: 8080, databaseUrl: undefined, demo: true });
  });
});
