/**
 * Serves the built apps from one origin: `/agent/`, `/warehouse/`, … from `<appsDir>/<name>/`
 * (Vite's output). Hashed assets are cached for a year; the HTML, the service worker and the
 * manifest are revalidated on every load, so a new deploy reaches devices (the app then offers
 * to reload). The server never imports app code: it only serves files.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

export interface AppInfo {
  readonly name: string;
  readonly title: string;
  readonly description: string;
}

/** The apps the platform serves, in the order the start page lists them. */
export const fieldApps: readonly AppInfo[] = [
  { name: 'agent', title: 'Agent', description: 'Sales agents: route, customers, catalogue and orders, offline' },
  { name: 'warehouse', title: 'Warehouse', description: 'Pickers: scan-to-pick, blind stock counts and transfers, offline' },
];

const revalidated = /(^|\/)(index\.html|sw\.js|registerSW\.js|manifest\.webmanifest)$/;

function setCacheHeaders(reply: FastifyReply, path: string): void {
  if (revalidated.test(path)) reply.header('cache-control', 'no-cache');
  else if (/[/\\]assets[/\\]/.test(path)) reply.header('cache-control', 'public, max-age=31536000, immutable');
}

function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(`<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title><body style="font-family:system-ui;max-width:40rem;margin:3rem auto;padding:0 1rem">${body}</body></html>`);
}

export async function appRoutes(app: FastifyInstance, options: { appsDir: string }): Promise<void> {
  let decorated = false;
  for (const info of fieldApps) {
    const root = join(options.appsDir, info.name);
    const built = existsSync(join(root, 'index.html'));
    app.get(`/${info.name}`, { schema: { hide: true } }, (_request, reply) => reply.redirect(`/${info.name}/`));
    if (!built) {
      app.get(`/${info.name}/*`, { schema: { hide: true } }, (_request, reply) =>
        page(reply, 503, `${info.title} app not built`, `<h1>The ${info.title.toLowerCase()} app is not built</h1><p>Build it with <code>npm run build:apps</code> (<code>npm start</code> does it), or point <code>NIAGA_APPS_DIR</code> at a folder holding <code>${info.name}/index.html</code>. Looked in <code>${root}</code>.</p>`),
      );
      continue;
    }
    await app.register(fastifyStatic, {
      root,
      prefix: `/${info.name}/`,
      decorateReply: !decorated,
      wildcard: true,
      index: ['index.html'],
      cacheControl: false,
      setHeaders: setCacheHeaders,
    });
    decorated = true;
  }

  app.get('/', { schema: { hide: true } }, (_request, reply) =>
    page(
      reply,
      200,
      'Niaga',
      `<h1>Niaga</h1><ul>${fieldApps.map((info) => `<li><a href="/${info.name}/">${info.title}</a>: ${info.description}</li>`).join('')}<li><a href="/api/v1/docs">API docs</a></li></ul>`,
    ),
  );
}
