import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type Logger } from '@tollgate/observability';
import { type FastifyReply, type FastifyRequest } from 'fastify';

/** `dist/web` at the repository root, where `npm run build:web` writes the web app. */
export const defaultWebRoot = resolve(__dirname, '..', '..', '..', '..', 'dist', 'web');

/** The single-page app's entry paths: each answers index.html and the browser router takes over. */
const appPaths = ['/', '/portal', '/portal/*', '/admin', '/admin/*'];

function sendIndex(root: string) {
  return (_request: FastifyRequest, reply: FastifyReply) => {
    // The entry page names the hashed bundles: it must be revalidated, they can be cached forever.
    return reply.header('cache-control', 'no-cache').sendFile('index.html', root, { cacheControl: false });
  };
}

/**
 * Serves the built web app next to the API: hashed files under `/assets/`, and index.html for
 * `/`, `/portal/*` and `/admin/*` (client-side routes). Nothing is registered under `/api`, so the
 * API's routes and its problem+json 404s are never shadowed. Without a build the API runs alone.
 *
 * The verification link of the signup mail points at `GET /api/portal/verify`; a browser (which
 * asks for HTML) is sent on to the portal's verify page, which posts the token and shows the
 * outcome. API clients keep getting the JSON answer.
 */
export async function registerWebApp(
  app: NestFastifyApplication,
  options: { root?: string; logger: Logger },
): Promise<boolean> {
  const root = options.root ?? defaultWebRoot;
  if (!existsSync(join(root, 'index.html'))) {
    options.logger.warn(
      { webRoot: root },
      'web app not built: /portal and /admin are not served (run `npm run build:web`)',
    );
    return false;
  }
  await app.register(fastifyStatic, {
    root: join(root, 'assets'),
    prefix: '/assets/',
    immutable: true,
    maxAge: '365d',
    index: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  for (const path of appPaths) fastify.get(path, sendIndex(root));
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'GET') return;
    const [path, query = ''] = request.url.split('?', 2);
    if (path !== '/api/portal/verify') return;
    if (!(request.headers.accept ?? '').includes('text/html')) return;
    return reply.redirect(`/portal/verify${query ? `?${query}` : ''}`, 303);
  });
  return true;
}
