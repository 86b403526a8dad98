import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import {
  analyticsEndpointsQuerySchema,
  analyticsUsageGranularities,
  analyticsUsageQuerySchema,
  anomaliesQuerySchema,
  conversionGranularities,
  conversionQuerySchema,
  reconciliationQuerySchema,
  topConsumersQuerySchema,
  upsellQuerySchema,
} from '@tollgate/metering-pipeline';
import {
  analyticsEndpoints,
  analyticsUsageOverTime,
  type AnalyticsUsageSeries,
  type ConsumerConsumptionList,
  type ConversionReport,
  type EndpointAnalytics,
  freeToPaidConversion,
  latestUsageReconciliation,
  planConsumptionDistribution,
  type PlanConsumptionDistribution,
  type ReconciliationReport,
  runUsageReconciliation,
  topConsumers,
  type UpsellCandidates,
  upsellCandidates,
  type UsageAnalyticsDependencies,
  type UsageAnomalies,
  usageAnomalies,
} from '@tollgate/plans-data';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { validateBody } from '../zod-validation';
import { AdminController } from './admin-endpoint.decorator';
import {
  AnalyticsUsageSeriesDto,
  ConsumerConsumptionListDto,
  ConversionReportDto,
  EndpointAnalyticsDto,
  PlanConsumptionDistributionDto,
  ReconciliationReportDto,
  UpsellCandidatesDto,
  UsageAnomaliesDto,
} from './analytics.dto';

const fromQuery = (fallback: string) =>
  ApiQuery({
    name: 'from',
    required: false,
    description: `ISO 8601 date-time with an offset, inclusive, widened to a whole UTC bucket (default: ${fallback})`,
  });
const toQuery = ApiQuery({
  name: 'to',
  required: false,
  description: 'ISO 8601 date-time with an offset, exclusive, widened to a whole UTC bucket (default: now)',
});

/** Admin analytics over every consumer, from the usage rollups (viewer role). */
@AdminController('analytics')
@Controller('api/admin/analytics')
export class AnalyticsController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  private get analytics(): UsageAnalyticsDependencies {
    return { prisma: this.deps.prisma, analytics: this.deps.analytics };
  }

  @Get('usage')
  @ApiOperation({
    summary: 'Requests over time, every consumer',
    description:
      'UTC hours or days, zero-filled, from the rollups; at most 1,500 points. With planId: the current subscribers of that plan.',
  })
  @ApiQuery({
    name: 'granularity',
    required: false,
    enum: analyticsUsageGranularities,
    description: 'Default day',
  })
  @fromQuery('30 days before to (hour: 2 days)')
  @toQuery
  @ApiQuery({ name: 'planId', required: false })
  @ApiOkResponse({ type: AnalyticsUsageSeriesDto })
  usage(@Query() query: Record<string, unknown>): Promise<AnalyticsUsageSeries> {
    return analyticsUsageOverTime(this.analytics, validateBody(analyticsUsageQuerySchema, query));
  }

  @Get('endpoints')
  @ApiOperation({
    summary: 'Requests, errors, status classes and latency percentiles per endpoint',
    description: 'Whole UTC hours, at most 92 days. Latency: gateway end-to-end, t-digest estimates.',
  })
  @fromQuery('24 hours before to')
  @toQuery
  @ApiOkResponse({ type: EndpointAnalyticsDto })
  endpoints(@Query() query: Record<string, unknown>): Promise<EndpointAnalytics> {
    return analyticsEndpoints(this.analytics, validateBody(analyticsEndpointsQuerySchema, query));
  }

  @Get('plans/:planId/distribution')
  @ApiOperation({
    summary: "How a plan's consumers use their current billing period",
    description:
      'Each consumer in its own current period (anchor and time zone): a histogram by tenth of the quota (0-10 … 90-100, >100) and p50/p90/p99 of the units used and of the percent of the quota.',
  })
  @ApiOkResponse({ type: PlanConsumptionDistributionDto })
  distribution(@Param('planId') planId: string): Promise<PlanConsumptionDistribution> {
    return planConsumptionDistribution(this.analytics, planId);
  }

  @Get('top-consumers')
  @ApiOperation({ summary: 'The consumers that used the most quota in their current billing period' })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1–1000, default 10' })
  @ApiOkResponse({ type: ConsumerConsumptionListDto })
  topConsumers(@Query() query: Record<string, unknown>): Promise<ConsumerConsumptionList> {
    return topConsumers(this.analytics, validateBody(topConsumersQuerySchema, query));
  }

  @Get('upsell')
  @ApiOperation({
    summary: 'Consumers at or beyond 80 % of their quota in their current billing period',
    description: 'Fullest first.',
  })
  @ApiQuery({
    name: 'threshold',
    required: false,
    type: Number,
    description: 'Percent of the quota, default 80',
  })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1–1000, default 100' })
  @ApiOkResponse({ type: UpsellCandidatesDto })
  upsell(@Query() query: Record<string, unknown>): Promise<UpsellCandidates> {
    return upsellCandidates(this.analytics, validateBody(upsellQuerySchema, query));
  }

  @Get('anomalies')
  @ApiOperation({
    summary: "Hours whose usage is far above the consumer's trailing 7 days",
    description:
      'Robust z-score against the median and MAD of the 168 hours before (docs/analytics.md). Whole UTC hours, at most 7 days.',
  })
  @fromQuery('24 hours before to')
  @toQuery
  @ApiQuery({ name: 'consumerId', required: false })
  @ApiQuery({
    name: 'threshold',
    required: false,
    type: Number,
    description: 'Score from which an hour is flagged, default 6',
  })
  @ApiQuery({
    name: 'minCount',
    required: false,
    type: Number,
    description: 'Fewest requests in a flagged hour, default 100',
  })
  @ApiOkResponse({ type: UsageAnomaliesDto })
  anomalies(@Query() query: Record<string, unknown>): Promise<UsageAnomalies> {
    return usageAnomalies(this.analytics, validateBody(anomaliesQuerySchema, query));
  }

  @Get('conversion')
  @ApiOperation({
    summary: 'Free → paid conversion per week or month',
    description:
      'From the subscription history: consumers who moved from a free-tier plan to a paid tier, over the consumers on a free-tier plan in each UTC week or month (default: the last 12).',
  })
  @ApiQuery({
    name: 'granularity',
    required: false,
    enum: conversionGranularities,
    description: 'Default month',
  })
  @ApiQuery({ name: 'from', required: false, description: 'ISO 8601 date-time with an offset' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO 8601 date-time with an offset, exclusive' })
  @ApiOkResponse({ type: ConversionReportDto })
  conversion(@Query() query: Record<string, unknown>): Promise<ConversionReport> {
    return freeToPaidConversion(this.deps.prisma, validateBody(conversionQuerySchema, query));
  }
}

/** The usage reconciliation: gateway counters against metered usage (docs/analytics.md). */
@AdminController('reconciliation')
@Controller('api/admin/reconciliation')
export class ReconciliationController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Get()
  @ApiOperation({
    summary: 'The latest reconciliation run and its rows',
    description:
      'One row per consumer and current period: gateway counter, metered units, drift. Largest drift first.',
  })
  @ApiQuery({ name: 'consumerId', required: false })
  @ApiQuery({
    name: 'onlyDrift',
    required: false,
    type: Boolean,
    description: 'Only consumers whose drift is not 0',
  })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1–10000, default 1000' })
  @ApiOkResponse({ type: ReconciliationReportDto })
  latest(@Query() query: Record<string, unknown>): Promise<ReconciliationReport> {
    return latestUsageReconciliation(
      this.deps.reconciliation,
      validateBody(reconciliationQuerySchema, query),
    );
  }

  @Post('run')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Runs a reconciliation now (or joins the one in progress)',
    description:
      'Answers when the run is stored, after the settle delay (twice when a consumer needs a recheck): the run and the rows that drift.',
  })
  @ApiOkResponse({ type: ReconciliationReportDto })
  run(): Promise<ReconciliationReport> {
    return runUsageReconciliation(this.deps.reconciliation);
  }
}
