import { Controller, Get, Headers, Inject, Query, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { type FastifyReply } from 'fastify';
import { GatewayGuard } from './admin.guard';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from './plans-http.tokens';

/**
 * Gateways poll this with If-None-Match; 304 while nothing changed. A gateway that heard a version
 * on the config bus passes it as `?version=`, which makes this replica rebuild unless it holds
 * exactly that version (its cache may predate the write that produced it).
 */
@ApiExcludeController()
@Controller('api/internal')
@UseGuards(GatewayGuard)
export class GatewaySnapshotController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Get('gateway-snapshot')
  async snapshot(
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Query('version') announced: unknown,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const snapshot = await this.deps.snapshots.get(
      typeof announced === 'string' && announced.length > 0 && announced.length <= 128
        ? announced
        : undefined,
    );
    const etag = `"${snapshot.version}"`;
    reply.header('etag', etag).header('cache-control', 'no-cache');
    if (ifNoneMatch === etag || ifNoneMatch === snapshot.version) {
      await reply.status(304).send();
      return;
    }
    await reply.status(200).send(snapshot);
  }
}
