import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { runReadinessChecks } from '@tollgate/observability';
import { type FastifyReply } from 'fastify';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from './plans-http.tokens';

@ApiExcludeController()
@Controller()
export class HealthController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Get('healthz')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const report = await runReadinessChecks(this.deps.readiness);
    await reply.status(report.status === 'ok' ? 200 : 503).send(report);
  }

  @Get('metrics')
  @Header('cache-control', 'no-store')
  async metrics(@Res() reply: FastifyReply): Promise<void> {
    await reply
      .header('content-type', this.deps.registry.contentType)
      .send(await this.deps.registry.metrics());
  }
}
