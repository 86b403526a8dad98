import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
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
import {
  type UsageBreakdown,
  usageBreakdownQuerySchema,
  type UsageSummary,
  type UsageTimeseries,
  usageTimeseriesQuerySchema,
} from '@tollgate/metering-domain';
import { consumerUsageBreakdown, consumerUsageSummary, consumerUsageTimeseries } from '@tollgate/plans-data';
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
import {
  UsageBreakdownDto,
  UsageBreakdownQueryDocs,
  UsageSummaryDto,
  UsageTimeseriesDto,
  UsageTimeseriesQueryDocs,
} from '../usage-summary.dto';
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

  @Get('usage/timeseries')
  @ApiOperation({ summary: "The developer's usage per minute, hour or day (as the admin endpoint)" })
  @UsageTimeseriesQueryDocs()
  @ApiOkResponse({ type: UsageTimeseriesDto })
  @ApiBadRequestResponse({ description: 'Invalid query parameter: `errors[]` names it' })
  async usageTimeseries(
    @CurrentDeveloper() developer: Developer,
    @Query() query: Record<string, unknown>,
  ): Promise<UsageTimeseries> {
    const input = validateBody(usageTimeseriesQuerySchema, query);
    const consumer = await developerConsumer(this.deps.prisma, developer.id);
    return consumerUsageTimeseries(this.deps.prisma, this.deps.usage, consumer.id, input);
  }

  @Get('usage/breakdown')
  @ApiOperation({ summary: "The developer's usage per endpoint or status code (as the admin endpoint)" })
  @UsageBreakdownQueryDocs()
  @ApiOkResponse({ type: UsageBreakdownDto })
  @ApiBadRequestResponse({ description: 'Invalid query parameter: `errors[]` names it' })
  async usageBreakdown(
    @CurrentDeveloper() developer: Developer,
    @Query() query: Record<string, unknown>,
  ): Promise<UsageBreakdown> {
    const input = validateBody(usageBreakdownQuerySchema, query);
    const consumer = await developerConsumer(this.deps.prisma, developer.id);
    return consumerUsageBreakdown(this.deps.prisma, this.deps.usage, consumer.id, input);
  }
}
