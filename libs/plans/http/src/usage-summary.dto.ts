import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiQuery } from '@nestjs/swagger';
import {
  maxTimeseriesPoints,
  type UsageBreakdown,
  usageBreakdownDimensions,
  type UsageBreakdownRow,
  type UsageGranularity,
  usageGranularities,
  type UsageSummary,
  type UsageTimeseries,
  type UsageTimeseriesPoint,
} from '@tollgate/metering-domain';

class QuotaDto {
  @ApiProperty() limit!: number;
  @ApiProperty() used!: number;
  @ApiProperty() remaining!: number;
  @ApiProperty({ description: 'Counted requests beyond the limit' }) overage!: number;
}

const unitsProperty = {
  type: 'object',
  additionalProperties: { type: 'number' },
  example: { sms: 3 },
  description:
    'Every meter of the plan but requests, by slug, plus the sum of each reported usage key (Tollgate-Usage) that no meter names',
} as const;

/** OpenAPI description of UsageSummary. */
export class UsageSummaryDto implements UsageSummary {
  @ApiProperty() consumerId!: string;
  @ApiProperty({ format: 'date-time' }) periodStart!: string;
  @ApiProperty({ format: 'date-time', description: 'Exclusive' }) periodEnd!: string;
  @ApiProperty({ description: "Requests counted against the quota under the plan's counting policy" })
  requests!: number;
  @ApiProperty({ description: 'Every recorded request, counted or not' }) totalRequests!: number;
  @ApiProperty(unitsProperty)
  units!: Record<string, number>;
  @ApiProperty({ type: QuotaDto }) quota!: QuotaDto;
}

class UsageTimeseriesPointDto implements UsageTimeseriesPoint {
  @ApiProperty({ format: 'date-time', description: 'Bucket start, clipped to from' }) start!: string;
  @ApiProperty({ format: 'date-time', description: 'Bucket end (exclusive), clipped to to' }) end!: string;
  @ApiProperty({ description: 'Counted requests' }) requests!: number;
  @ApiProperty({ description: 'Every recorded request' }) totalRequests!: number;
  @ApiProperty(unitsProperty) units!: Record<string, number>;
}

/** OpenAPI description of UsageTimeseries. */
export class UsageTimeseriesDto implements UsageTimeseries {
  @ApiProperty() consumerId!: string;
  @ApiProperty({ enum: usageGranularities }) granularity!: UsageGranularity;
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time', description: 'Exclusive' }) to!: string;
  @ApiProperty({
    type: [UsageTimeseriesPointDto],
    description: `UTC buckets, at most ${maxTimeseriesPoints}`,
  })
  points!: UsageTimeseriesPointDto[];
}

class UsageBreakdownRowDto implements UsageBreakdownRow {
  @ApiProperty({ example: 'GET /v1/orders/:id', description: 'The endpoint, or the status code' })
  key!: string;
  @ApiProperty({ description: 'Counted requests' }) requests!: number;
  @ApiProperty({ description: 'Every recorded request' }) totalRequests!: number;
  @ApiProperty(unitsProperty) units!: Record<string, number>;
}

/** OpenAPI description of UsageBreakdown. */
export class UsageBreakdownDto implements UsageBreakdown {
  @ApiProperty() consumerId!: string;
  @ApiProperty({ enum: usageBreakdownDimensions }) by!: UsageBreakdown['by'];
  @ApiProperty({ format: 'date-time' }) from!: string;
  @ApiProperty({ format: 'date-time', description: 'Exclusive' }) to!: string;
  @ApiProperty({ type: [UsageBreakdownRowDto] }) rows!: UsageBreakdownRowDto[];
}

const rangeQueries = [
  ApiQuery({
    name: 'from',
    required: false,
    description:
      'ISO 8601 date-time with an offset, inclusive (default: the start of the current billing period)',
  }),
  ApiQuery({
    name: 'to',
    required: false,
    description:
      'ISO 8601 date-time with an offset, exclusive (default: the end of the current billing period)',
  }),
];

/** Query parameters of the time-series endpoints. */
export function UsageTimeseriesQueryDocs(): MethodDecorator {
  return applyDecorators(
    ApiQuery({ name: 'granularity', required: false, enum: usageGranularities, description: 'Default day' }),
    ...rangeQueries,
  );
}

/** Query parameters of the breakdown endpoints. */
export function UsageBreakdownQueryDocs(): MethodDecorator {
  return applyDecorators(
    ApiQuery({ name: 'by', required: true, enum: usageBreakdownDimensions }),
    ...rangeQueries,
  );
}

/** OpenAPI description of a usage correction. */
export class UsageCorrectionDto {
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ description: "'gateway' or the business event type" }) source!: string;
  @ApiProperty() endpoint!: string;
  @ApiProperty() counted!: boolean;
  @ApiProperty({ format: 'date-time', description: "The event's own time: the window it belongs to" })
  ts!: string;
  @ApiProperty({ format: 'date-time' }) ingestedAt!: string;
  @ApiProperty() delayMs!: number;
  @ApiProperty() requests!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } }) units!: Record<string, number>;
  @ApiProperty() reason!: string;
}

export class UsageCorrectionsDto {
  @ApiProperty() consumerId!: string;
  @ApiProperty({ type: [UsageCorrectionDto] }) corrections!: UsageCorrectionDto[];
}
