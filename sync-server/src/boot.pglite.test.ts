import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { bundleServer } from '../scripts/bundle.ts';
import { bootPlatform } from './boot.ts';
import { loadConfig } from './config.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

test('embedded start: migrates, seeds the demo company once, and serves logins; a restart keeps the data', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'niaga-boot-'));
  const config = loadConfig({ LOG_LEVEL: 'silent' }, cwd);
  const first = await bootPlatform(config);
  try {
    expect(first.migrationsApplied.length).toBeGreaterThan(0);
    expect(first.seeded).toBeDefined();
    const login = await first.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'agent1@niaga.test', password: 'niaga-demo' } });
    expect(login.statusCode, login.body).toBe(200);
    const { accessToken } = login.json<{ accessToken: string }>();
    const customers = await first.app.inject({ url: '/api/v1/customers?limit=5', headers: { authorization: `Bearer ${accessToken}` } });
    expect(customers.statusCode).toBe(200);
    expect(customers.json<{ items: unknown[] }>().items.length).toBeGreaterThan(0);
  } finally {
    await first.close();
  }
  const second = await bootPlatform(config);
  try {
    expect(second.migrationsApplied).toEqual([]);
    expect(second.seeded).toBeUndefined();
    const login = await second.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'admin@niaga.test', password: 'niaga-demo' } });
    expect(login.statusCode).toBe(200);
  } finally {
    await second.close();
  }
}, 120_000);

test('main, bundled as npm start runs it, migrates and seeds, prints the URL and the demo logins, serves /readyz, and stops cleanly on SIGTERM', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'niaga-main-'));
  const bundle = await bundleServer(join(repoRoot, 'sync-server/src/main.ts'), join(cwd, 'dist'));
  // Plain node on the bundle, no TypeScript loader: what `npm start` runs.
  const child = spawn(process.execPath, [bundle], {
    cwd,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: '', NIAGA_DEMO: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner within 90 s:\n${output}`)), 90_000);
      child.stdout.on('data', () => {
        const match = /Niaga is running at (http:\/\/localhost:\d+)/.exec(output);
        if (match && output.includes('Ready in')) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
    });
    for (const email of ['admin@niaga.test', 'agent1@niaga.test', 'agent2@niaga.test', 'picker1@niaga.test', 'picker2@niaga.test', 'shopper1@niaga.test']) {
      expect(output).toContain(email);
    }
    expect(output).toContain('niaga-demo');
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'picker1@niaga.test', password: 'niaga-demo' }) });
    expect(login.status).toBe(200);
  } finally {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
}, 120_000);
