import { Controller, Get, Inject, Module, type DynamicModule, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiExcludeController } from '@nestjs/swagger';
import { type FastifyReply } from 'fastify';
import { type Registry } from 'prom-client';
import { type ReadinessCheck, runReadinessChecks } from './readiness';

export interface OpsDependencies {
  registry: Registry;
  checks: ReadinessCheck[];
}

const OPS_DEPENDENCIES = Symbol('OPS_DEPENDENCIES');

@ApiExcludeController()
@Controller()
class OpsController {
  constructor(@Inject(OPS_DEPENDENCIES) private readonly deps: OpsDependencies) {}

  @Get('healthz')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const report = await runReadinessChecks(this.deps.checks);
    await reply.status(report.status === 'ok' ? 200 : 503).send(report);
  }

  @Get('metrics')
  async metrics(@Res() reply: FastifyReply): Promise<void> {
    await reply
      .header('content-type', this.deps.registry.contentType)
      .header('cache-control', 'no-store')
      .send(await this.deps.registry.metrics());
  }
}

/** /healthz, /readyz and /metrics as a Nest module, for any Nest app. */
@Module({})
export class OpsModule {
  static forRoot(deps: OpsDependencies): DynamicModule {
    return {
      module: OpsModule,
      controllers: [OpsController],
      providers: [{ provide: OPS_DEPENDENCIES, useValue: deps }],
    };
  }
}

export interface NestOpsAppOptions extends OpsDependencies {
  host: string;
  port: number;
  /** Runs before the app listens, e.g. to register extra Fastify plugins for operators. */
  configure?: (app: NestFastifyApplication) => Promise<void>;
}

/** /healthz, /readyz and /metrics on NestJS (Fastify) for apps whose main traffic is elsewhere. */
export async function startNestOpsApp(
  options: NestOpsAppOptions,
): Promise<{ app: NestFastifyApplication; port: number; close: () => Promise<void> }> {
  const app = await NestFactory.create<NestFastifyApplication>(
    OpsModule.forRoot({ registry: options.registry, checks: options.checks }),
    new FastifyAdapter(),
    { logger: ['error', 'warn'] },
  );
  await options.configure?.(app);
  await app.listen({ port: options.port, host: options.host });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { app, port, close: () => app.close() };
}
