import { type DynamicModule, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type FastifyInstance } from 'fastify';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { IngestController } from './ingest.controller';
import { cloudEventBatchMediaType, cloudEventMediaType } from './ingest.dto';
import { IngestTokenGuard } from './ingest-token.guard';

/** The ingest API under /api/events. */
@Module({})
export class IngestModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  static forRoot(deps: PlansHttpDependencies): DynamicModule {
    return {
      module: IngestModule,
      controllers: [IngestController],
      providers: [{ provide: PLANS_DEPENDENCIES, useValue: deps }, IngestTokenGuard],
    };
  }

  /** The CloudEvents JSON media types are JSON: parse them as Fastify parses application/json. */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify || fastify.hasContentTypeParser(cloudEventMediaType)) return;
    fastify.addContentTypeParser(
      [cloudEventMediaType, cloudEventBatchMediaType],
      { parseAs: 'string' },
      fastify.getDefaultJsonParser('error', 'error'),
    );
  }
}
