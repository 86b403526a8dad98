import { ApiProperty } from '@nestjs/swagger';

/** OpenAPI descriptions of the portal's billing, alert and webhook bodies (validation: zod schemas). */

export class PortalAlertDto {
  @ApiProperty() id!: string;
  @ApiProperty({
    enum: [
      'quota_threshold',
      'quota_exhausted',
      'spend_cap',
      'payment_failed',
      'grace_expired',
      'payment_recovered',
    ],
  })
  kind!: string;
  @ApiProperty({ description: 'Percent of the quota or spend cap reached; 0 for payment notices' })
  threshold!: number;
  @ApiProperty({ type: Number, nullable: true }) usedUnits!: number | null;
  @ApiProperty({ type: Number, nullable: true }) limitUnits!: number | null;
  @ApiProperty({ format: 'date-time' }) periodStart!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) dismissedAt!: string | null;
}

export class PortalAlertSettingsDto {
  @ApiProperty({ description: 'The account email: always notified' }) email!: string;
  @ApiProperty({ type: [String], description: 'Further recipients of alert mail' }) billingEmails!: string[];
  @ApiProperty({ type: String, nullable: true, description: 'Alerts are POSTed here, signed' })
  webhookUrl!: string | null;
  @ApiProperty() hasWebhookSecret!: boolean;
}

export class PortalWebhookSecretDto {
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'whsec_…: verifies the Tollgate-Signature header (t=…,v1=…); null without a webhook URL',
  })
  secret!: string | null;
}

export class PortalWebhookDeliveryDto {
  @ApiProperty() id!: string;
  @ApiProperty() consumerId!: string;
  @ApiProperty({ type: String, nullable: true }) alertId!: string | null;
  @ApiProperty({ example: 'webhook.test' }) eventType!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ description: 'The exact JSON body that was signed' }) body!: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: Number, nullable: true }) responseStatus!: number | null;
  @ApiProperty({ type: String, nullable: true }) error!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) lastAttemptAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deliveredAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class PortalSpendCapDto {
  @ApiProperty({ type: Number, nullable: true, description: 'Minor units of `currency`; null: no cap' })
  capMinor!: number | null;
  @ApiProperty() currency!: string;
  @ApiProperty({ description: 'Whether the plan takes a cap (pay-per-call, monthly quota)' })
  eligible!: boolean;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Billable requests per period the cap pays for (at most the quota ceiling)',
  })
  capUnits!: number | null;
  @ApiProperty({
    required: false,
    description:
      "Only when a cap is set but its requests cannot be worked out from the plan's prices: why (the cap is then not enforced)",
  })
  reason?: string;
}

class PortalEstimateLineDto {
  @ApiProperty() type!: string;
  @ApiProperty() description!: string;
  @ApiProperty() quantity!: number;
  @ApiProperty({ description: 'Exact unit price in minor units, a decimal string' })
  unitAmountDecimal!: string;
  @ApiProperty() amountMinor!: number;
}

class PortalEstimateUsageDto {
  @ApiProperty() requests!: number;
  @ApiProperty() totalRequests!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } }) units!: Record<string, number>;
}

class PortalForecastDto {
  @ApiProperty({ type: Number, nullable: true }) quotaLimit!: number | null;
  @ApiProperty({ enum: ['no_quota', 'reached', 'projected', 'not_reached'] }) quotaStatus!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) quotaReachedAt!: string | null;
  @ApiProperty() projectedRequests!: number;
  @ApiProperty() projectedAmountMinor!: number;
  @ApiProperty({ example: '12.40 USD' }) projectedAmount!: string;
  @ApiProperty({
    example: "At the last 7 days' rate the quota is reached on 2026-12-14; projected bill 12.40 USD.",
  })
  summary!: string;
}

export class PortalEstimateDto {
  @ApiProperty() consumerId!: string;
  @ApiProperty() planId!: string;
  @ApiProperty() planName!: string;
  @ApiProperty() currency!: string;
  @ApiProperty({ format: 'date-time' }) periodStart!: string;
  @ApiProperty({ format: 'date-time', description: 'Exclusive' }) periodEnd!: string;
  @ApiProperty({ format: 'date-time' }) asOf!: string;
  @ApiProperty({ type: PortalEstimateUsageDto }) usage!: PortalEstimateUsageDto;
  @ApiProperty({ type: [PortalEstimateLineDto] }) lines!: PortalEstimateLineDto[];
  @ApiProperty() subtotalMinor!: number;
  @ApiProperty({ example: '3.20 USD' }) subtotal!: string;
  @ApiProperty({ type: PortalForecastDto }) forecast!: PortalForecastDto;
}

export class PortalRedirectDto {
  @ApiProperty({ description: "The billing provider's hosted page to send the developer to" }) url!: string;
}
