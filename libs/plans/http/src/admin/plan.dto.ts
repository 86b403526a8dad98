import { ApiProperty } from '@nestjs/swagger';
import {
  type MigrationResult,
  type PlanDetailView,
  type PlanVersionView,
  type PlanView,
} from '@tollgate/plans-data';
import { type MeterDefinition, meterDefinitionSchema } from '@tollgate/metering-domain';
import {
  countersUnavailablePolicies,
  pastDuePolicies,
  planTiers,
  priceComponentSchema,
  type PlanDefinition,
  type PriceComponent,
} from '@tollgate/plans-domain';
import { zodOpenApiSchema } from '../zod-validation';

class PlanQuotaDto {
  @ApiProperty({ example: 50000 }) limit!: number;
  @ApiProperty({ enum: ['month', 'day'] }) period!: 'month' | 'day';
}

class PlanRateLimitDto {
  @ApiProperty({ example: 10 }) perSecond!: number;
  @ApiProperty({ example: 20 }) burst!: number;
}

class PlanOverageDto {
  @ApiProperty({ example: 10, description: 'Requests up to quota × (1 + bufferPercent/100) pass' })
  bufferPercent!: number;
  @ApiProperty({ example: 1, description: 'Price of each request beyond the quota, minor units' })
  unitPriceMinor!: number;
  @ApiProperty({ example: 'usd' }) currency!: string;
}

class PlanCountPolicyDto {
  @ApiProperty({ description: '4xx responses count against the quota' }) count4xx!: boolean;
  @ApiProperty({ description: '5xx responses count against the quota' }) count5xx!: boolean;
}

const priceItems = zodOpenApiSchema(priceComponentSchema);
const meterItems = zodOpenApiSchema(meterDefinitionSchema);

/** The definition a plan version freezes. */
export class PlanDefinitionDto implements PlanDefinition {
  @ApiProperty({ type: PlanQuotaDto }) quota!: PlanQuotaDto;
  @ApiProperty({ type: PlanRateLimitDto, nullable: true }) rateLimit!: PlanRateLimitDto | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Simultaneous requests; null = unlimited' })
  concurrency!: number | null;
  @ApiProperty({ type: [String], example: ['GET /v1/orders/:id'], description: 'Empty: every endpoint' })
  allowedEndpoints!: string[];
  @ApiProperty({ type: PlanCountPolicyDto }) countPolicy!: PlanCountPolicyDto;
  @ApiProperty({ type: [Number], example: [80, 95, 100] }) alertThresholds!: number[];
  @ApiProperty({ type: PlanOverageDto, nullable: true, description: 'null: hard block at the quota' })
  overage!: PlanOverageDto | null;
  @ApiProperty({ example: 'usd' }) currency!: string;
  @ApiProperty({ type: 'array', items: priceItems as object, description: 'Price components, minor units' })
  prices!: PriceComponent[];
  @ApiProperty({ example: 0 }) trialDays!: number;
  @ApiProperty({
    enum: countersUnavailablePolicies,
    description:
      'While the quota counters are unreachable: reject (503) or local_limit (a node-local limiter at the limits divided by the node count)',
  })
  countersUnavailable!: PlanDefinition['countersUnavailable'];
  @ApiProperty({ type: 'array', items: meterItems as object, description: 'Billable metric definitions' })
  meters!: MeterDefinition[];
}

export class PlanDto extends PlanDefinitionDto implements PlanView {
  @ApiProperty({ example: 'plan_0k3…' }) id!: string;
  @ApiProperty({ example: 'starter' }) slug!: string;
  @ApiProperty({ example: 'Starter' }) name!: string;
  @ApiProperty({ enum: planTiers }) tier!: PlanView['tier'];
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty() isPublic!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) archivedAt!: string | null;
  @ApiProperty({ description: 'Latest version; new subscribers get it' }) version!: number;
  @ApiProperty({ type: String, nullable: true, description: "The plan's consumer group" }) groupId!:
    string | null;
  @ApiProperty({
    example: 3,
    minimum: 0,
    maximum: 90,
    description: 'Days a past-due subscription keeps the plan before pastDuePolicy applies',
  })
  gracePeriodDays!: number;
  @ApiProperty({
    enum: pastDuePolicies,
    description:
      'After the grace period: downgrade (to the free plan, restored when paid) or suspend (the keys, reactivated when paid)',
  })
  pastDuePolicy!: PlanView['pastDuePolicy'];
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class PlanVersionDto implements PlanVersionView {
  @ApiProperty() version!: number;
  @ApiProperty({ type: PlanDefinitionDto }) definition!: PlanDefinitionDto;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ description: 'Live subscriptions on this version' }) subscribers!: number;
}

export class PlanDetailDto extends PlanDto implements PlanDetailView {
  @ApiProperty({ type: [PlanVersionDto], description: 'Newest first' }) versions!: PlanVersionDto[];
}

export class PlanPatchResultDto extends PlanDetailDto {
  @ApiProperty({ description: 'true when the change created a new version (the plan had subscribers)' })
  versionCreated!: boolean;
}

export class MigrationResultDto implements MigrationResult {
  @ApiProperty() planId!: string;
  @ApiProperty() toVersion!: number;
  @ApiProperty({ format: 'date-time' }) effectiveAt!: string;
  @ApiProperty({ description: 'true: recorded as pending, applied at effectiveAt' }) scheduled!: boolean;
  @ApiProperty({ description: 'Subscriptions moved or scheduled' }) subscriptions!: number;
}
