import { ApiProperty } from '@nestjs/swagger';
import {
  type ConsumerDetailView,
  type ConsumerPage,
  type ConsumerView,
  type SubscriptionView,
} from '@tollgate/plans-data';

class SubscriptionPeriodDto {
  @ApiProperty({ format: 'date-time' }) start!: string;
  @ApiProperty({ format: 'date-time', description: 'Exclusive' }) end!: string;
}

export class SubscriptionDto implements SubscriptionView {
  @ApiProperty() id!: string;
  @ApiProperty() planId!: string;
  @ApiProperty() planName!: string;
  @ApiProperty() planVersion!: number;
  @ApiProperty({ enum: ['trialing', 'active', 'past_due', 'canceled', 'suspended'] })
  status!: SubscriptionView['status'];
  @ApiProperty({
    format: 'date-time',
    description: 'Billing periods repeat from here, in the consumer time zone',
  })
  periodAnchor!: string;
  @ApiProperty({ type: SubscriptionPeriodDto }) currentPeriod!: SubscriptionPeriodDto;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) trialEndsAt!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) canceledAt!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Scheduled plan change' }) pendingPlanId!:
    string | null;
  @ApiProperty({ type: Number, nullable: true }) pendingPlanVersion!: number | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) pendingEffectiveAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) stripeCustomerId!: string | null;
  @ApiProperty({ type: String, nullable: true }) stripeSubscriptionId!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class ConsumerDto implements ConsumerView {
  @ApiProperty({ example: 'cons_…' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: ['active', 'suspended'] }) status!: ConsumerView['status'];
  @ApiProperty({ type: String, nullable: true }) suspendedReason!: string | null;
  @ApiProperty({ example: 'Europe/Paris' }) timeZone!: string;
  @ApiProperty({ type: [String] }) billingEmails!: string[];
  @ApiProperty({ type: String, nullable: true }) webhookUrl!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'auth0|42',
    description: "The consumer's id in your identity system; JWT bearer tokens map to it",
  })
  externalId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The portal account owning it' })
  developerId!: string | null;
  @ApiProperty({ type: String, nullable: true }) groupId!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: SubscriptionDto, nullable: true }) subscription!: SubscriptionDto | null;
}

export class ConsumerDetailDto extends ConsumerDto implements ConsumerDetailView {
  @ApiProperty({ type: String, nullable: true, description: 'Signs outbound webhooks (whsec_…)' })
  webhookSecret!: string | null;
}

export class ConsumerPageDto implements ConsumerPage {
  @ApiProperty({ type: [ConsumerDto] }) items!: ConsumerDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page' })
  nextCursor!: string | null;
}
