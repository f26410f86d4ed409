/**
 * Test support for the apps' browser tests: builds an app with Vite (service worker included)
 * and starts the whole platform over a fresh Postgres database seeded with the demo company,
 * serving the built apps from the same origin as the API, as `npm start` does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedDemoCompany } from '@niaga/domain/demo';
import { startPgShapeBackend, type PgShapeBackend } from '@niaga/sync-server/test-support';

export const demoPassword = 'niaga-demo';

export interface FieldPlatform {
  readonly backend: PgShapeBackend;
  /** `http://127.0.0.1:<port>`: the apps are at `/agent/`, `/warehouse/`. */
  readonly origin: string;
  /** The folder the apps are served from (build into it again to deploy a new version). */
  readonly appsDir: string;
  close(): Promise<void>;
}

export interface BuildOptions {
  /** Build into this folder (e.g. the one a running platform serves: a new deploy) instead of a new one. */
  readonly appsDir?: string;
  /** The build name the apps show (NIAGA_APP_BUILD): another name is another version. */
  readonly build?: string;
}

/** Builds the apps (folder → URL name) with their own vite.config.ts into one folder the server serves. */
export async function buildFieldApps(apps: Readonly<Record<string, string>>, options: BuildOptions = {}): Promise<string> {
  const { build } = await import('vite');
  const appsDir = options.appsDir ?? mkdtempSync(join(tmpdir(), 'niaga-apps-'));
  // Vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
  const { NODE_ENV: nodeEnv, NIAGA_APP_BUILD: buildName } = process.env;
  process.env.NODE_ENV = 'production';
  if (options.build) process.env.NIAGA_APP_BUILD = options.build;
  try {
    for (const [name, root] of Object.entries(apps)) {
      await build({
        configFile: join(root, 'vite.config.ts'),
        configLoader: 'runner',
        logLevel: 'warn',
        build: { outDir: join(appsDir, name), emptyOutDir: true },
      });
    }
  } finally {
    process.env.NODE_ENV = nodeEnv;
    if (buildName === undefined) delete process.env.NIAGA_APP_BUILD;
    else process.env.NIAGA_APP_BUILD = buildName;
  }
  return appsDir;
}

/** The platform over real Postgres (logical replication, in-process events and saga) with the small demo company. */
export async function startFieldPlatform(appsDir: string): Promise<FieldPlatform> {
  const backend = await startPgShapeBackend({
    env: { NIAGA_APPS_DIR: appsDir },
    prepare: (db) => seedDemoCompany(db, { scale: 'small', seed: 42, password: demoPassword }),
  });
  return {
    backend,
    origin: backend.server.baseUrl,
    appsDir,
    async close() {
      await backend.close();
      rmSync(appsDir, { recursive: true, force: true });
    },
  };
}
