/**
 * The client library under test, as apps ship it: bundled by esbuild (production settings: no
 * `keepNames`), with @electric-sql/pglite left outside (it loads its wasm from its own folder).
 * BUNDLED=0 imports it from source instead, through tsx, whose esbuild transform always keeps
 * function names: every function the library creates, closures in hot loops included, then also
 * runs `__name(fn)` (an Object.defineProperty). Measured once: the replay planning of 100
 * mutations over a 1,000-row commit took ~100 ms from source under tsx and ~21 ms bundled.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type * as Entry from './client-library-entry.ts';
import { onCleanup, repoRoot } from './harness.ts';

export type ClientLibrary = typeof Entry;

export const bundled = process.env.BUNDLED !== '0';

async function load(): Promise<ClientLibrary> {
  if (!bundled) return import('./client-library-entry.ts');
  // Under bench/node_modules, so the external @electric-sql/pglite resolves to the bench's own.
  const dir = join(repoRoot, 'bench', 'node_modules', '.cache', 'niaga-bench');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `client-library-${process.pid}.mjs`);
  await build({
    entryPoints: [join(repoRoot, 'bench', 'lib', 'client-library-entry.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    outfile,
    external: ['@electric-sql/pglite', '@electric-sql/pglite/*'],
    logLevel: 'warning',
  });
  onCleanup(async () => rmSync(outfile, { force: true }));
  return (await import(pathToFileURL(outfile).href)) as ClientLibrary;
}

/** The library, loaded once per process. */
export const clientLibrary: ClientLibrary = await load();

/** How the library was loaded, for the printed results. */
export const libraryBuild = bundled ? 'bundled by esbuild (no keepNames), as apps ship it' : 'from source through tsx (keepNames)';
