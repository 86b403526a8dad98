import { ApiProperty } from '@nestjs/swagger';
import { analyticsUsageGranularities, conversionGranularities } from '@tollgate/metering-pipeline';

/** OpenAPI descriptions of the admin analytics and reconciliation bodies (docs/analytics.md). */

class AnalyticsUsagePointDto {
  @ApiProperty({ format: 'date-time' }) start!: string;
  @ApiProperty({ format: 'date-time', description: 'Exclusive' }) end!: string;
  @ApiProperty({ description: 'Counted requests' }) requests!: number;
  @ApiProperty({ description: 'Every gateway request' }) totalRequests!: number;
  @ApiProperty({ description: 'Consumers with at least one request in the bucket' }) activeConsumers!: number;
}

export class AnalyticsUsageSeriesDto {
  @ApiProperty({ enum: analyticsUsageGranularities }) granularity!: string;
  @ApiProperty({ format: 'date-time', description: 'from, widened to a whole UTC bucket' }) from!: string;
  @ApiProperty({ format: 'date-time', description: 'to, widened to a whole UTC bucket (exclusive)' })
  to!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: "The plan whose current subscribers' requests are counted",
  })
  planId!: string | null;
  @ApiProperty({ type: [AnalyticsUsagePointDto] }) points!: AnalyticsUsagePointDto[];
}

class StatusClassesDto {
  @ApiProperty({ name: '1xx' }) '1xx'!: number;
  @ApiProperty({ name: '2xx' }) '2xx'!: number;
  @ApiProperty({ name: '3xx' }) '3xx'!: number;
  @ApiProperty({ name: '4xx' }) '4xx'!: number;
  @ApiProperty({ name: '5xx' }) '5xx'!: number;
}

class LatencyDto {
  @ApiProperty({ type: Number, nullable: true }) p50!: number | null;
  @ApiProperty({ type: Number, nullable: true }) p90!: number | null;
  @ApiProperty({ type: Number, nullable: true }) p99!: number | null;
}

class EndpointAnalyticsRowDto {
  @ApiProperty() apiId!: string;
  @ApiProperty({ example: 'GET /v1/orders/:id' }) endpoint!: string;
  @ApiProperty({ description: 'Every gateway request' }) totalRequests!: number;
  @ApiProperty({ description: 'Counted requests' }) requests!: number;
  @ApiProperty({ type: StatusClassesDto }) statusClasses!: StatusClassesDto;
  @ApiProperty({ description: 'Responses with a 4xx or 5xx status' }) errors!: number;
  @ApiProperty({ type: LatencyDto, description: 'Gateway latency in ms (t-digest estimates)' })
  latencyMs!: LatencyDto;
}

export class EndpointAnalyticsDto {
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time', description: 'Exclusive' }) to!: string;
  @ApiProperty({ type: [EndpointAnalyticsRowDto], description: 'Busiest first' })
  endpoints!: EndpointAnalyticsRowDto[];
}

class ConsumptionBucketDto {
  @ApiProperty({ example: '80-90' }) label!: string;
  @ApiProperty() fromPercent!: number;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Exclusive, but 100 is in 90-100; null: unbounded',
  })
  toPercent!: number | null;
  @ApiProperty() consumers!: number;
}

class PercentilesDto {
  @ApiProperty({ type: Number, nullable: true }) p50!: number | null;
  @ApiProperty({ type: Number, nullable: true }) p90!: number | null;
  @ApiProperty({ type: Number, nullable: true }) p99!: number | null;
}

export class PlanConsumptionDistributionDto {
  @ApiProperty() planId!: string;
  @ApiProperty() planName!: string;
  @ApiProperty({ format: 'date-time' }) generatedAt!: string;
  @ApiProperty({ description: 'Consumers on the plan (each in its own current period)' }) consumers!: number;
  @ApiProperty({ type: [ConsumptionBucketDto], description: '0-10 … 90-100 % of the quota, then >100' })
  histogram!: ConsumptionBucketDto[];
  @ApiProperty({ type: PercentilesDto, description: 'Quota units used (nearest rank)' })
  used!: PercentilesDto;
  @ApiProperty({ type: PercentilesDto, description: 'Percent of the quota used (nearest rank)' })
  percentOfQuota!: PercentilesDto;
}

class ConsumerConsumptionDto {
  @ApiProperty() consumerId!: string;
  @ApiProperty() name!: string;
  @ApiProperty() planId!: string;
  @ApiProperty() planName!: string;
  @ApiProperty({ example: 'subscription' }) planTier!: string;
  @ApiProperty({ format: 'date-time' }) periodStart!: string;
  @ApiProperty({ format: 'date-time', description: 'Exclusive' }) periodEnd!: string;
  @ApiProperty({ description: 'Quota units per period' }) quotaLimit!: number;
  @ApiProperty({ description: 'Quota units used: counted requests × route cost weight' }) used!: number;
  @ApiProperty({ description: 'Counted requests' }) requests!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'null: a used zero quota' }) percentOfQuota!:
    number | null;
}

export class ConsumerConsumptionListDto {
  @ApiProperty({ format: 'date-time' }) generatedAt!: string;
  @ApiProperty({ type: [ConsumerConsumptionDto] }) consumers!: ConsumerConsumptionDto[];
}

export class UpsellCandidatesDto extends ConsumerConsumptionListDto {
  @ApiProperty({ description: 'Percent of the quota from which consumers are listed' }) threshold!: number;
}

class UsageAnomalyDto {
  @ApiProperty() consumerId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ format: 'date-time' }) hourStart!: string;
  @ApiProperty({ format: 'date-time' }) hourEnd!: string;
  @ApiProperty({ description: 'Gateway requests in the hour' }) requests!: number;
  @ApiProperty({ description: 'Median of the 168 hours before' }) baselineMedian!: number;
  @ApiProperty({ description: 'max(1.4826 × MAD, √median, 1)' }) baselineSpread!: number;
  @ApiProperty({ description: '(requests − median) ÷ spread' }) score!: number;
}

export class UsageAnomaliesDto {
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time', description: 'Exclusive' }) to!: string;
  @ApiProperty() threshold!: number;
  @ApiProperty() minCount!: number;
  @ApiProperty({ type: [UsageAnomalyDto], description: 'Highest score first' }) anomalies!: UsageAnomalyDto[];
}

class ConversionPointDto {
  @ApiProperty({ format: 'date-time' }) start!: string;
  @ApiProperty({ format: 'date-time', description: 'Exclusive' }) end!: string;
  @ApiProperty({ description: 'Consumers on a free-tier plan at some moment of the period' })
  freeConsumers!: number;
  @ApiProperty({ description: 'Consumers who moved from a free-tier plan to a paid tier in the period' })
  conversions!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'conversions ÷ freeConsumers' })
  conversionRate!: number | null;
}

class ConversionTotalsDto {
  @ApiProperty() conversions!: number;
}

export class ConversionReportDto {
  @ApiProperty({ enum: conversionGranularities }) granularity!: string;
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time', description: 'Exclusive' }) to!: string;
  @ApiProperty({ type: [ConversionPointDto] }) points!: ConversionPointDto[];
  @ApiProperty({ type: ConversionTotalsDto }) totals!: ConversionTotalsDto;
}

class ReconciliationRunDto {
  @ApiProperty({ format: 'uuid' }) runId!: string;
  @ApiProperty({ format: 'date-time' }) runAt!: string;
  @ApiProperty({ format: 'date-time' }) finishedAt!: string;
  @ApiProperty() consumers!: number;
  @ApiProperty({ description: 'Consumers whose drift persisted through the recheck' }) drifting!: number;
  @ApiProperty({ description: 'Sum of |drift|' }) driftUnits!: number;
  @ApiProperty({ description: 'Consumers the gateway cannot place in a period either' }) skipped!: number;
}

class ReconciliationRowDto {
  @ApiProperty() consumerId!: string;
  @ApiProperty() planId!: string;
  @ApiProperty({ format: 'date-time' }) periodStart!: string;
  @ApiProperty({ format: 'date-time', description: 'Exclusive' }) periodEnd!: string;
  @ApiProperty({ description: "The gateway's quota counter (quota units)" }) gatewayCount!: number;
  @ApiProperty({ description: 'Quota units metered up to the same instant' }) meteredCount!: number;
  @ApiProperty({ description: 'gatewayCount − meteredCount' }) drift!: number;
  @ApiProperty({ description: '1: agreed at once; 2: compared again after the settle delay' })
  checks!: number;
}

export class ReconciliationReportDto {
  @ApiProperty({ type: ReconciliationRunDto, nullable: true, description: 'null before the first run' })
  run!: ReconciliationRunDto | null;
  @ApiProperty({ type: [ReconciliationRowDto], description: 'Largest |drift| first' })
  rows!: ReconciliationRowDto[];
}
