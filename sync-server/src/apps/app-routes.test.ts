import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { expect, test } from 'vitest';
import { appRoutes } from './app-routes.ts';

function builtApps(): string {
  const dir = mkdtempSync(join(tmpdir(), 'niaga-apps-'));
  mkdirSync(join(dir, 'agent/assets'), { recursive: true });
  writeFileSync(join(dir, 'agent/index.html'), '<!doctype html><title>Agent</title>');
  writeFileSync(join(dir, 'agent/sw.js'), 'self.addEventListener("fetch", () => {});');
  writeFileSync(join(dir, 'agent/assets/index-abc123.js'), 'console.log(1);');
  return dir;
}

test('a built app is served under its folder: HTML and the service worker revalidated, hashed assets cached for a year', async () => {
  const app = Fastify();
  await app.register(appRoutes, { appsDir: builtApps() });
  const index = await app.inject('/agent/');
  expect(index.statusCode).toBe(200);
  expect(index.body).toContain('<title>Agent</title>');
  expect(index.headers['cache-control']).toBe('no-cache');
  expect((await app.inject('/agent/sw.js')).headers['cache-control']).toBe('no-cache');
  const asset = await app.inject('/agent/assets/index-abc123.js');
  expect(asset.statusCode).toBe(200);
  expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  expect((await app.inject('/agent')).headers.location).toBe('/agent/');
  expect((await app.inject('/agent/missing.js')).statusCode).toBe(404);
  await app.close();
});

test('an app that is not built answers 503 with how to build it, and the start page lists the apps', async () => {
  const app = Fastify();
  await app.register(appRoutes, { appsDir: builtApps() });
  const missing = await app.inject('/warehouse/');
  expect(missing.statusCode).toBe(503);
  expect(missing.body).toContain('npm run build:apps');
  const start = await app.inject('/');
  expect(start.body).toContain('href="/agent/"');
  expect(start.body).toContain('href="/warehouse/"');
  await app.close();
});
