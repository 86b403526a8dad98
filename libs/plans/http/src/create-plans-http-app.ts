import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { uuidv7 } from '@tollgate/ids';
import { type Logger } from '@tollgate/observability';
import { PlansHttpModule } from './plans-http.module';
import { type PlansHttpDependencies } from './plans-http.tokens';
import { ProblemFilter } from './problem.filter';
import { registerWebApp } from './web-app';

export interface PlansHttpAppOptions {
  logger: Logger;
  /**
   * The built web app (portal, admin UI, landing page), served at `/`, `/portal` and `/admin`:
   * a directory (default `dist/web`), or false for the API alone.
   */
  webRoot?: string | false;
}

export function openApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Tollgate control plane')
    .setDescription('Plans, consumers, API keys, usage and billing of a Tollgate installation.')
    .setVersion('0.1.0')
    .addBearerAuth()
    .addCookieAuth('tg_session', { type: 'apiKey', in: 'cookie' }, 'tg_session')
    .addCookieAuth('tg_admin_session', { type: 'apiKey', in: 'cookie' }, 'tg_admin_session')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** The control plane's HTTP app (NestJS on Fastify), shared by the plans app and the platform. */
export async function createPlansHttpApp(
  deps: PlansHttpDependencies,
  options: PlansHttpAppOptions,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    loggerInstance: options.logger,
    requestIdHeader: 'x-request-id',
    genReqId: () => uuidv7(),
    bodyLimit: 1024 * 1024,
  });
  const app = await NestFactory.create<NestFastifyApplication>(PlansHttpModule.forRoot(deps), adapter, {
    logger: ['error', 'warn'],
    bufferLogs: false,
  });
  app.useGlobalFilters(new ProblemFilter());
  const document = openApiDocument(app);
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/openapi.json' });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  if (options.webRoot !== false) {
    await registerWebApp(app, { root: options.webRoot, logger: options.logger });
  }
  return app;
}
