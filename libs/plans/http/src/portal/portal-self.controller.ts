import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiCookieAuth,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { type UsageSummary } from '@tollgate/metering-domain';
import { consumerUsageSummary } from '@tollgate/plans-data';
import {
  chooseDeveloperPlan,
  choosePlanInputSchema,
  developerConsumer,
  developerProfile,
  type DeveloperProfile,
  logoutDeveloper,
} from '@tollgate/plans-portal';
import { type Developer } from '@tollgate/relational';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { UsageSummaryDto } from '../usage-summary.dto';
import { validateBody } from '../zod-validation';
import { usesHttps } from './portal-context.provider';
import { PortalChoosePlanBodyDto, PortalProfileDto } from './portal.dto';
import { CurrentDeveloper, PortalGuard } from './portal.guard';
import { PortalProblemFilter } from './portal-problem.filter';
import { clearedSessionCookie, sessionTokenOf } from './session-cookie';

/** The signed-in developer's own account, plan and usage. */
@ApiTags('portal')
@ApiCookieAuth('tg_session')
@Controller('api/portal')
@UseGuards(PortalGuard)
@UseFilters(PortalProblemFilter)
@ApiUnauthorizedResponse({ description: 'No valid tg_session cookie' })
export class PortalSelfController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'End this session and clear the cookie' })
  @ApiNoContentResponse({ description: 'Signed out' })
  async logout(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const token = sessionTokenOf(request.headers.cookie);
    if (token) await logoutDeveloper(this.deps.prisma, token);
    void reply.header('set-cookie', clearedSessionCookie(usesHttps(this.deps, request.protocol)));
  }

  @Get('me')
  @ApiOperation({ summary: 'The developer, their consumer, subscription and plan' })
  @ApiOkResponse({ type: PortalProfileDto })
  me(@CurrentDeveloper() developer: Developer): Promise<DeveloperProfile> {
    return developerProfile(this.deps.prisma, developer);
  }

  @Post('plan')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Switch to a free public plan at once (same billing-period anchor); paid plans go through checkout',
  })
  @ApiBody({ type: PortalChoosePlanBodyDto })
  @ApiOkResponse({ type: PortalProfileDto })
  @ApiNotFoundResponse({ description: 'No such public plan' })
  @ApiConflictResponse({ description: 'A paid plan: it goes through checkout' })
  async choosePlan(
    @CurrentDeveloper() developer: Developer,
    @Body() body: unknown,
  ): Promise<DeveloperProfile> {
    const { planId } = validateBody(choosePlanInputSchema, body);
    const profile = await chooseDeveloperPlan(this.deps.prisma, developer, planId);
    await this.deps.snapshots.refresh();
    return profile;
  }

  @Get('usage')
  @ApiOperation({
    summary: "The developer's usage in the current billing period (as the admin usage endpoint)",
  })
  @ApiOkResponse({ type: UsageSummaryDto })
  async usage(@CurrentDeveloper() developer: Developer): Promise<UsageSummary> {
    const consumer = await developerConsumer(this.deps.prisma, developer.id);
    return consumerUsageSummary(this.deps.prisma, this.deps.usage, consumer.id);
  }
}
