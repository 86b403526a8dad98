import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { NotFoundError } from '@tollgate/errors';
import { type UsageCorrection } from '@tollgate/metering-pipeline';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import {
  type UsageBreakdown,
  usageBreakdownQuerySchema,
  type UsageSummary,
  type UsageTimeseries,
  usageTimeseriesQuerySchema,
} from '@tollgate/metering-domain';
import { consumerUsageBreakdown, consumerUsageSummary, consumerUsageTimeseries } from '@tollgate/plans-data';
import { AdminController } from './admin/admin-endpoint.decorator';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from './plans-http.tokens';
import {
  UsageBreakdownDto,
  UsageBreakdownQueryDocs,
  UsageCorrectionsDto,
  UsageSummaryDto,
  UsageTimeseriesDto,
  UsageTimeseriesQueryDocs,
} from './usage-summary.dto';
import { validateBody } from './zod-validation';

@AdminController('usage')
@Controller('api/admin/consumers')
export class ConsumerUsageController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Get(':id/usage')
  @ApiOperation({
    summary: "A consumer's usage in its current billing period",
    description:
      "requests: the plan's requests meter (counted requests); units: every other meter of the plan, plus the sum of each reported usage key no meter names. Read from the usage rollups.",
  })
  @ApiOkResponse({ type: UsageSummaryDto })
  async usage(@Param('id') consumerId: string): Promise<UsageSummary> {
    return consumerUsageSummary(this.deps.prisma, this.deps.usage, consumerId);
  }

  @Get(':id/usage/corrections')
  @ApiOperation({
    summary: "A consumer's late events (usage corrections)",
    description:
      'Events stored more than LATE_EVENT_GRACE_MS after their own timestamp, newest first (at most 200): billing adjusts the windows it already reported with them instead of changing a reported total.',
  })
  @ApiOkResponse({ type: UsageCorrectionsDto })
  async corrections(
    @Param('id') consumerId: string,
  ): Promise<{ consumerId: string; corrections: UsageCorrection[] }> {
    const consumer = await this.deps.prisma.consumer.findUnique({
      where: { id: consumerId },
      select: { id: true },
    });
    if (consumer === null) throw new NotFoundError('Consumer', consumerId);
    return { consumerId, corrections: await this.deps.usage.corrections(consumerId) };
  }

  @Get(':id/usage/timeseries')
  @ApiOperation({
    summary: "A consumer's usage per minute, hour or day",
    description:
      'UTC buckets, zero-filled, the first and last clipped to from–to (default: the current billing period). At most 1,500 points.',
  })
  @UsageTimeseriesQueryDocs()
  @ApiOkResponse({ type: UsageTimeseriesDto })
  async timeseries(
    @Param('id') consumerId: string,
    @Query() query: Record<string, unknown>,
  ): Promise<UsageTimeseries> {
    return consumerUsageTimeseries(
      this.deps.prisma,
      this.deps.usage,
      consumerId,
      validateBody(usageTimeseriesQuerySchema, query),
    );
  }

  @Get(':id/usage/breakdown')
  @ApiOperation({
    summary: "A consumer's usage per endpoint or per status code",
    description:
      'One row per endpoint or status code with usage in from–to (default: the current billing period).',
  })
  @UsageBreakdownQueryDocs()
  @ApiOkResponse({ type: UsageBreakdownDto })
  async breakdown(
    @Param('id') consumerId: string,
    @Query() query: Record<string, unknown>,
  ): Promise<UsageBreakdown> {
    return consumerUsageBreakdown(
      this.deps.prisma,
      this.deps.usage,
      consumerId,
      validateBody(usageBreakdownQuerySchema, query),
    );
  }
}
