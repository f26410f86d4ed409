/**
 * The server as `npm start` runs it: the workspace's TypeScript bundled by esbuild into one ES
 * module, run by plain `node` (no TypeScript loader in the process: about 40 MB less RSS, and no
 * esbuild helper processes beside it). Third-party packages are not bundled: they are imported from
 * where pnpm installed them, by a path relative to the bundle, so native addons (argon2), packages
 * that read files beside their own code (PGlite's WebAssembly, swagger-ui's assets) and lazy
 * imports (PGlite only in embedded mode) behave exactly as under tsx. The bundle therefore runs
 * only beside this checkout's node_modules: it is a build step of `npm start`, not an artifact to
 * ship elsewhere.
 *
 * Layout: `<outDir>/server/<entry name>.mjs` with its chunks beside it (code behind a dynamic
 * `import()`, such as the embedded database, is a chunk of its own and loads only when imported),
 * and the migrations' SQL in `<outDir>/sql/`, where `migrations/src/migrate.ts` looks for it
 * (`../sql/` from its own module).
 *
 * Usage: `node --import tsx sync-server/scripts/bundle.ts [outDir]` bundles `src/main.ts` into
 * `sync-server/dist` (or outDir).
 */
import { cpSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const serverDir = fileURLToPath(new URL('..', import.meta.url));
const migrationsSql = fileURLToPath(new URL('../../migrations/sql/', import.meta.url));
const builtins = new Set(builtinModules);

/** Bare imports of third-party packages stay imports, rewritten to a path relative to the bundle's folder. */
function thirdPartyExternal(bundleDir: string): Plugin {
  return {
    name: 'third-party-external',
    setup(esbuild) {
      esbuild.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === 'resolving' || args.path.startsWith('@niaga/')) return undefined;
        if (args.path.startsWith('node:') || builtins.has(args.path.split('/')[0]!)) return { path: args.path, external: true };
        const found = await esbuild.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: 'resolving' });
        if (found.errors.length > 0) return { errors: found.errors };
        const path = relative(bundleDir, found.path).split('\\').join('/');
        return { path: path.startsWith('.') ? path : `./${path}`, external: true };
      });
    },
  };
}

/** Bundles `entry` (a TypeScript module) into `<outDir>/server/<name>.mjs`, SQL beside it; returns the bundle's path. */
export async function bundleServer(entry: string, outDir: string): Promise<string> {
  rmSync(join(outDir, 'server'), { recursive: true, force: true });
  rmSync(join(outDir, 'sql'), { recursive: true, force: true });
  mkdirSync(join(outDir, 'server'), { recursive: true });
  // Node runs a module from its real path (a temporary folder may sit behind a symlink, as on macOS),
  // and esbuild resolves packages to theirs: the relative imports are computed between real paths.
  const bundleDir = realpathSync(join(outDir, 'server'));
  await build({
    entryPoints: [entry],
    outdir: bundleDir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    plugins: [thirdPartyExternal(bundleDir)],
    logLevel: 'warning',
  });
  cpSync(migrationsSql, join(outDir, 'sql'), { recursive: true });
  return join(bundleDir, `${basename(entry, extname(entry))}.mjs`);
}

// Run as a script (compared as real paths: the checkout may sit behind a symlink).
if (process.argv[1] && realpathSync(resolve(process.argv[1])) === realpathSync(fileURLToPath(import.meta.url))) {
  const outDir = resolve(process.argv[2] ?? join(serverDir, 'dist'));
  const started = Date.now();
  const file = await bundleServer(join(serverDir, 'src', 'main.ts'), outDir);
  process.stdout.write(`Server bundled into ${relative(process.cwd(), file)} in ${Date.now() - started} ms\n`);
}
