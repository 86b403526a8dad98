import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { type StripeLinkView } from '@tollgate/plans-data';
import { z } from 'zod';

export const stripeLinkSchema = z
  .object({
    stripeCustomerId: z
      .string()
      .regex(/^cus_[A-Za-z0-9]+$/, { error: 'a Stripe customer id (cus_…)' })
      .nullable()
      .optional(),
    stripeSubscriptionId: z
      .string()
      .regex(/^sub_[A-Za-z0-9]+$/, { error: 'a Stripe subscription id (sub_…)' })
      .nullable()
      .optional(),
  })
  .strict();

export class StripeWebhookReceiptDto {
  @ApiProperty({ enum: [true] }) received!: true;
  @ApiProperty({ description: 'The event id was already recorded: this delivery changed nothing' })
  duplicate!: boolean;
  @ApiPropertyOptional({
    enum: ['applied', 'unchanged', 'stale', 'unmatched', 'ignored'],
    description: 'What a first delivery did',
  })
  outcome?: string;
}

export class StripeLinkDto implements StripeLinkView {
  @ApiProperty() consumerId!: string;
  @ApiProperty({ type: String, nullable: true }) stripeCustomerId!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The live subscription' })
  subscriptionId!: string | null;
  @ApiProperty({ type: String, nullable: true }) stripeSubscriptionId!: string | null;
  @ApiProperty({ type: String, nullable: true }) status!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) pastDueSince!: string | null;
}
