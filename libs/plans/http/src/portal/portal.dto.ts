import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** OpenAPI descriptions of the portal's bodies; validation itself is the zod schemas of @tollgate/plans-portal. */

export class PortalSignupBodyDto {
  @ApiProperty({ format: 'email', description: 'Trimmed and lower-cased' }) email!: string;
  @ApiProperty({ minLength: 10, maxLength: 1024 }) password!: string;
  @ApiProperty({ maxLength: 200 }) name!: string;
}

export class PortalLoginBodyDto {
  @ApiProperty({ format: 'email' }) email!: string;
  @ApiProperty() password!: string;
}

export class PortalEmailBodyDto {
  @ApiProperty({ format: 'email' }) email!: string;
}

export class PortalTokenBodyDto {
  @ApiProperty({ description: 'The token of the link in the mail' }) token!: string;
}

export class PortalPasswordResetConfirmBodyDto {
  @ApiProperty({ description: 'The token of the reset mail' }) token!: string;
  @ApiProperty({ minLength: 10, maxLength: 1024 }) password!: string;
}

export class CreatePortalKeyBodyDto {
  @ApiPropertyOptional({ maxLength: 100, default: 'default' }) name?: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'When the key stops working' }) expiresAt?: string;
}

export class PortalChoosePlanBodyDto {
  @ApiProperty({ description: 'A public plan from GET /api/portal/plans whose `free` is true' })
  planId!: string;
}

export class PortalDeveloperDto {
  @ApiProperty() id!: string;
  @ApiProperty() email!: string;
  @ApiProperty() name!: string;
  @ApiProperty() emailVerified!: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class PortalDeveloperEnvelopeDto {
  @ApiProperty({ type: PortalDeveloperDto }) developer!: PortalDeveloperDto;
}

export class PortalAcceptedDto {
  @ApiProperty() message!: string;
}

export class PortalApiKeyDto {
  @ApiProperty() id!: string;
  @ApiProperty() consumerId!: string;
  @ApiProperty({ description: 'Display prefix, e.g. tg_live_ab12' }) prefix!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) revokedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) replacedById!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class PortalCreatedKeyDto {
  @ApiProperty() id!: string;
  @ApiProperty() consumerId!: string;
  @ApiProperty({ description: 'The secret: shown this once, never again' }) key!: string;
  @ApiProperty() prefix!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) expiresAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class PortalRotatedKeyDto extends PortalCreatedKeyDto {
  @ApiProperty() previousKeyId!: string;
  @ApiProperty({ format: 'date-time', description: 'The old key works until then' })
  previousKeyExpiresAt!: string;
}

class PortalQuotaDto {
  @ApiProperty() limit!: number;
  @ApiProperty({ enum: ['month', 'day'] }) period!: string;
}

class PortalRateLimitDto {
  @ApiProperty() perSecond!: number;
  @ApiProperty() burst!: number;
}

class PortalOverageDto {
  @ApiProperty() bufferPercent!: number;
  @ApiProperty() unitPriceMinor!: number;
  @ApiProperty() currency!: string;
}

class PortalCountingPolicyDto {
  @ApiProperty() count4xx!: boolean;
  @ApiProperty() count5xx!: boolean;
  @ApiProperty({ description: 'The policy in plain words' }) summary!: string;
}

export class PortalPlanDto {
  @ApiProperty() id!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['free', 'pay_per_call', 'subscription', 'enterprise'] }) tier!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty() version!: number;
  @ApiProperty({ description: 'Selectable at once with POST /api/portal/plan' }) free!: boolean;
  @ApiProperty({ type: PortalQuotaDto }) quota!: PortalQuotaDto;
  @ApiProperty({ type: PortalRateLimitDto, nullable: true }) rateLimit!: PortalRateLimitDto | null;
  @ApiProperty({ type: Number, nullable: true }) concurrency!: number | null;
  @ApiProperty({ type: PortalOverageDto, nullable: true }) overage!: PortalOverageDto | null;
  @ApiProperty({ type: PortalCountingPolicyDto }) countingPolicy!: PortalCountingPolicyDto;
  @ApiProperty({
    type: 'array',
    items: { type: 'object' },
    description: 'Price components, integer minor units',
  })
  prices!: unknown[];
  @ApiProperty({ type: [String], description: 'One plain sentence per price component' })
  priceSummary!: string[];
  @ApiProperty() trialDays!: number;
}

class PortalConsumerDto {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: ['active', 'suspended'] }) status!: string;
  @ApiProperty() timeZone!: string;
}

class PortalPeriodDto {
  @ApiProperty({ format: 'date-time' }) start!: string;
  @ApiProperty({ format: 'date-time', description: 'Exclusive' }) end!: string;
}

class PortalSubscriptionDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['trialing', 'active', 'past_due', 'canceled', 'suspended'] }) status!: string;
  @ApiProperty() planVersion!: number;
  @ApiProperty({ format: 'date-time' }) periodAnchor!: string;
  @ApiProperty({ type: PortalPeriodDto }) currentPeriod!: PortalPeriodDto;
}

export class PortalProfileDto {
  @ApiProperty({ type: PortalDeveloperDto }) developer!: PortalDeveloperDto;
  @ApiProperty({ type: PortalConsumerDto, nullable: true }) consumer!: PortalConsumerDto | null;
  @ApiProperty({ type: PortalSubscriptionDto, nullable: true }) subscription!: PortalSubscriptionDto | null;
  @ApiProperty({ type: PortalPlanDto, nullable: true }) plan!: PortalPlanDto | null;
}
