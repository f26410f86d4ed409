/**
 * The Vite config every field app shares: React, served under `/<name>/`, and a PWA whose service
 * worker precaches the whole app (PGlite's WebAssembly included) so it opens with no network after
 * the first visit. New versions wait until the user accepts the reload (registerType 'prompt').
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import type { UserConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

export interface FieldAppBuild {
  /** The URL folder (`/agent/`) and the output folder's name. */
  readonly name: string;
  readonly title: string;
  readonly shortName: string;
  readonly description: string;
  readonly themeColor: string;
  /** The app's folder (its index.html). */
  readonly root: string;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where `vite build` writes: NIAGA_APP_OUT_DIR, else `<repo>/dist/apps/<name>` (the server's NIAGA_APPS_DIR default). */
export function appOutDir(name: string): string {
  return process.env.NIAGA_APP_OUT_DIR ?? resolve(repoRoot, 'dist/apps', name);
}

/**
 * What the app shows as its build (support asks for it): NIAGA_APP_BUILD, else when it was built.
 * Each build is a new version to the service worker, which offers the reload.
 */
function appBuild(): string {
  return process.env.NIAGA_APP_BUILD ?? new Date().toISOString().slice(0, 16).replace('T', ' ');
}

export function fieldAppConfig(app: FieldAppBuild): UserConfig {
  const base = `/${app.name}/`;
  return {
    root: app.root,
    base,
    define: { __NIAGA_APP_BUILD__: JSON.stringify(appBuild()) },
    publicDir: resolve(dirname(fileURLToPath(import.meta.url)), '../public'),
    logLevel: 'warn',
    plugins: [
      react(),
      VitePWA({
        registerType: 'prompt',
        // The app registers the worker itself (workbox-window, see update-prompt.tsx).
        injectRegister: false,
        manifest: {
          name: app.title,
          short_name: app.shortName,
          description: app.description,
          theme_color: app.themeColor,
          background_color: '#ffffff',
          display: 'standalone',
          start_url: base,
          scope: base,
          icons: [{ src: 'icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
        },
        workbox: {
          // Everything the app needs offline, PGlite's wasm and data files (and its empty database) included.
          globPatterns: ['**/*.{js,css,html,wasm,data,gz}'],
          maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
          navigateFallback: 'index.html',
          cleanupOutdatedCaches: true,
        },
      }),
    ],
    // PGlite loads its wasm relative to its own module: prebundling would break that in dev.
    optimizeDeps: { exclude: ['@electric-sql/pglite'] },
    worker: { format: 'es' },
    build: {
      outDir: appOutDir(app.name),
      emptyOutDir: true,
      target: 'es2022',
      chunkSizeWarningLimit: 4096,
      rollupOptions: {
        onwarn(warning, warn) {
          // PGlite's Emscripten glue uses eval on purpose; nothing of ours does.
          if (warning.code === 'EVAL' && warning.id?.includes('@electric-sql/pglite')) return;
          warn(warning);
        },
      },
    },
    // `vite` (dev) beside `npm start`: the API is the running server's.
    server: { proxy: { '/api': 'http://localhost:8080', '/v1': 'http://localhost:8080' } },
  };
}
