import { ApiProperty } from '@nestjs/swagger';

class AdminUsageLedgerRowDto {
  @ApiProperty() id!: string;
  @ApiProperty() subscriptionId!: string;
  @ApiProperty() meterId!: string;
  @ApiProperty({ format: 'date-time' }) periodStart!: string;
  @ApiProperty({ format: 'date-time' }) periodEnd!: string;
  @ApiProperty({ description: 'Decimal string' }) metered!: string;
  @ApiProperty({ description: 'Decimal string: sent to the billing provider' }) reported!: string;
  @ApiProperty({ description: 'Decimal string: confirmed by the billing provider' }) acknowledged!: string;
  @ApiProperty({ description: 'Meter events sent for this row' }) pushes!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) closedAt!: string | null;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

class AdminUsagePushDto {
  @ApiProperty({ description: 'Meter event identifier: (subscription, meter, period, cumulative total)' })
  identifier!: string;
  @ApiProperty() ledgerId!: string;
  @ApiProperty() meterId!: string;
  @ApiProperty({ enum: ['usage', 'correction'] }) kind!: string;
  @ApiProperty({ description: 'Decimal string' }) quantity!: string;
  @ApiProperty({ description: 'Decimal string: the period total this event brings the report to' })
  cumulative!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) acknowledgedAt!: string | null;
}

class AdminStripeObjectDto {
  @ApiProperty({ example: 'customer' }) kind!: string;
  @ApiProperty() localId!: string;
  @ApiProperty({ example: 'cus_123' }) stripeId!: string;
  @ApiProperty({ format: 'date-time' }) syncedAt!: string;
}

class AdminBillingSubscriptionDto {
  @ApiProperty() id!: string;
  @ApiProperty() planId!: string;
  @ApiProperty() status!: string;
  @ApiProperty({ type: String, nullable: true }) stripeSubscriptionId!: string | null;
  @ApiProperty({ type: Number, nullable: true }) spendCapMinor!: number | null;
}

export class AdminConsumerBillingDto {
  @ApiProperty() consumerId!: string;
  @ApiProperty({ type: String, nullable: true }) stripeCustomerId!: string | null;
  @ApiProperty({ type: [AdminBillingSubscriptionDto] }) subscriptions!: AdminBillingSubscriptionDto[];
  @ApiProperty({ type: [AdminUsageLedgerRowDto], description: 'Newest period first' })
  ledger!: AdminUsageLedgerRowDto[];
  @ApiProperty({ description: 'Meter events sent for the consumer' }) pushesCount!: number;
  @ApiProperty({ type: [AdminUsagePushDto], description: 'The latest meter events sent, newest first' })
  pushes!: AdminUsagePushDto[];
  @ApiProperty({ type: [AdminStripeObjectDto] }) stripeObjects!: AdminStripeObjectDto[];
}

export class AdminFailedJobDto {
  @ApiProperty() jobId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The job data' }) data!: unknown;
  @ApiProperty() attempts!: number;
  @ApiProperty({ description: 'The last error' }) error!: string;
  @ApiProperty({ description: 'Epoch ms' }) failedAt!: number;
}
