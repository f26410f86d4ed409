/**
 * Browser tests (`x.browser.test.ts`) run in vitest under Node and drive the system Chromium with
 * playwright-core (never a downloaded browser). startBrowser() bundles the test's page entries
 * with esbuild, serves them from a static HTTP server on 127.0.0.1 (IndexedDB, Web Locks and
 * OPFS need a real origin, not file: or data:) and launches one headless Chromium for the file.
 *
 * A page entry calls definePage() (from `@niaga/testing/page`) with the functions the test may
 * call; the test opens the page and calls them with `page.call(name, ...args)`, which returns what
 * they resolve to (anything structured-cloneable). Console errors and uncaught exceptions of each
 * page are collected in `page.errors`; a test that fails with pages open leaves their screenshots
 * in test-results/browser/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { onTestFailed } from 'vitest';
import { EngineMissingError } from './engines.ts';
import { pageGlobal, type PageFunctions } from './page.ts';

export interface BrowserOptions {
  /** Page name → its entry module (absolute path): served as `/<name>.html` running `/<name>.js`. */
  readonly pages: Readonly<Record<string, string>>;
  /** Module specifier → file or package to bundle instead (esbuild's alias), e.g. a browser shim for `vitest`. */
  readonly alias?: Readonly<Record<string, string>>;
  /** URL file name → file served beside the bundles, e.g. the wasm files a library fetches relative to its module. */
  readonly assets?: Readonly<Record<string, string>>;
}

export interface TestPage {
  readonly page: Page;
  /** Console errors and uncaught exceptions so far, as text. */
  readonly errors: readonly string[];
  /** Calls the page's function `name` (see definePage) and returns what it resolves to. */
  call<T = unknown>(name: string, ...args: unknown[]): Promise<T>;
}

export interface BrowserHarness {
  /** `http://127.0.0.1:<port>`: every page of the harness shares this origin. */
  readonly origin: string;
  readonly browser: Browser;
  /** A fresh profile: its own IndexedDB, locks and storage. */
  newContext(): Promise<BrowserContext>;
  /** Opens page `name` (in the harness's default context unless given one) once its functions are defined. */
  open(name: string, context?: BrowserContext): Promise<TestPage>;
  /** Saves a PNG of `page` as test-results/browser/<name>.png and returns its path. */
  screenshot(page: Page, name: string): Promise<string>;
  /** Closes Chromium and the server and removes the bundles. */
  close(): Promise<void>;
}

/** Debian's package; CHROMIUM_PATH names another build of Chromium. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const artifactsDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../test-results/browser');

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  // WebAssembly.compileStreaming (PGlite) refuses any other type.
  '.wasm': 'application/wasm',
};

/** The system Chromium, headless, with the flags this machine's closed network needs. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new EngineMissingError('Chromium', `Browser tests drive ${chromiumPath}: install Debian's package with \`apt-get install chromium\` (or set CHROMIUM_PATH to a Chromium binary).`);
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, timeout: 30_000 });
}

/** Saves a PNG of `page` as test-results/browser/<name>.png (a test artifact) and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export async function startBrowser(options: BrowserOptions): Promise<BrowserHarness> {
  const outDir = mkdtempSync(join(tmpdir(), 'niaga-browser-'));
  let server: Server | undefined;
  let browser: Browser | undefined;
  try {
    await bundle(options, outDir);
    server = await serve(outDir, options.assets ?? {});
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('The page server has no port');
    const origin = `http://127.0.0.1:${address.port}`;
    browser = await launchChromium();
    return harness(browser, server, origin, outDir);
  } catch (error) {
    await browser?.close();
    await closeServer(server);
    rmSync(outDir, { recursive: true, force: true });
    throw error;
  }
}

async function bundle(options: BrowserOptions, outDir: string): Promise<void> {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: Object.entries(options.pages).map(([name, entry]) => ({ in: entry, out: name })),
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    alias: { ...options.alias },
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'silent',
  });
  await Promise.all(
    Object.keys(options.pages).map((name) =>
      // The empty icon keeps Chromium from asking for /favicon.ico, whose 404 would be a console error.
      writeFile(join(outDir, `${name}.html`), `<!doctype html>\n<meta charset="utf-8"><link rel="icon" href="data:,"><title>${name}</title>\n<div id="root"></div>\n<script type="module" src="./${name}.js"></script>\n`),
    ),
  );
}

function serve(outDir: string, assets: Readonly<Record<string, string>>): Promise<Server> {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname).slice(1);
    const file = assets[path] ?? (/^[\w.-]+$/.test(path) ? join(outDir, path) : undefined);
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (body) => {
        response.writeHead(200, { 'content-type': contentTypes[extname(file)] ?? 'application/octet-stream', 'cache-control': 'max-age=3600' });
        response.end(body);
      },
      () => response.writeHead(404).end(),
    );
  });
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolvePromise(server));
  });
}

function closeServer(server: Server | undefined): Promise<void> {
  if (!server) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolvePromise) => server.close(() => resolvePromise()));
}

function harness(browser: Browser, server: Server, origin: string, outDir: string): BrowserHarness {
  let defaultContext: Promise<BrowserContext> | undefined;
  const screenshot = saveScreenshot;
  return {
    origin,
    browser,
    newContext: () => browser.newContext(),
    async open(name, context) {
      const page = await (context ?? (await (defaultContext ??= browser.newContext()))).newPage();
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(`console.error: ${message.text()}`);
      });
      page.on('pageerror', (error) => errors.push(`uncaught: ${error.stack ?? error.message}`));
      whenTestFails((testName) => screenshot(page, `${testName}-${name}`));
      await page.goto(`${origin}/${name}.html`);
      await page.waitForFunction((key) => key in globalThis, pageGlobal, { timeout: 10_000 }).catch((error: unknown) => {
        throw new Error(`The page ${name} never called definePage()${errors.length ? `; it reported:\n${errors.join('\n')}` : ''}`, { cause: error });
      });
      return {
        page,
        errors,
        call: <T>(fn: string, ...args: unknown[]) =>
          page.evaluate(
            ([key, fnName, fnArgs]) => {
              const target = (globalThis as unknown as Record<string, PageFunctions>)[key]![fnName] as ((...args: readonly unknown[]) => unknown) | undefined;
              if (!target) throw new Error(`The page defines no function ${fnName}`);
              return target(...fnArgs);
            },
            [pageGlobal, fn, args] as const,
          ) as Promise<T>,
      };
    },
    screenshot,
    async close() {
      await browser.close();
      await closeServer(server);
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/** A screenshot for the failing test that opened the page; outside a test, nothing. */
export function whenTestFails(capture: (testName: string) => Promise<unknown>): void {
  try {
    onTestFailed(async ({ task }) => {
      await capture(task.name.slice(0, 80)).catch(() => undefined);
    });
  } catch {
    // Opened in a hook: no test to watch.
  }
}
