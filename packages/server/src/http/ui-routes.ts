import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { KilnError } from '@kiln/model';
import { sendError } from './server.js';

/**
 * The pages of the web UI, named as in Pyroscope's v0.x UI so its users' links and habits carry
 * over: single view, comparison, diff, tag explorer, plus ad-hoc viewing of a dropped file and
 * the pull-mode targets (`/targets`, Prometheus's name for that page).
 * Every page is the same index.html; the app reads the path and the query string.
 */
export const UI_PAGES = ['/', '/comparison', '/comparison-diff', '/explore', '/adhoc', '/targets'] as const;

/**
 * Serves the built UI (packages/ui/dist: `app/` and `standalone/`). Hashed assets are cached for
 * a year; index.html is read on each request (it is 1 KB) and never cached, so a new build
 * shows at once. Without a build, the pages answer ERR_HTTP_UI_NOT_BUILT and the API works as
 * before.
 */
export async function registerUiRoutes(app: FastifyInstance, uiDir: string): Promise<void> {
  const indexPath = join(uiDir, 'app', 'index.html');
  for (const page of UI_PAGES) {
    app.get(page, async (_req, reply) => {
      const index = await readFile(indexPath).catch(() => null);
      if (index === null) {
        return sendError(
          reply,
          new KilnError(
            'ERR_HTTP_UI_NOT_BUILT',
            `the web UI is not built (no ${indexPath}); run \`npm run build -w @kiln/ui\``,
          ),
        );
      }
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(index);
    });
  }
  if (!existsSync(join(uiDir, 'app', 'assets'))) return;
  await app.register(fastifyStatic, {
    root: join(uiDir, 'app', 'assets'),
    prefix: '/assets/',
    immutable: true,
    maxAge: '365d',
    index: false,
  });
  if (existsSync(join(uiDir, 'standalone'))) {
    await app.register(fastifyStatic, {
      root: join(uiDir, 'standalone'),
      prefix: '/standalone/',
      decorateReply: false,
      index: false,
    });
  }
}
