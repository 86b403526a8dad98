import { ApiProperty } from '@nestjs/swagger';
import { type AuditLogPage, type AuditLogView } from '@tollgate/plans-data';

export class AuditLogEntryDto implements AuditLogView {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['admin_token', 'admin_user', 'developer', 'system'] }) actorType!: string;
  @ApiProperty() actorId!: string;
  @ApiProperty({ example: 'plan.create' }) action!: string;
  @ApiProperty({ example: 'plan' }) entityType!: string;
  @ApiProperty() entityId!: string;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true }) before!: unknown;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true }) after!: unknown;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class AuditLogPageDto implements AuditLogPage {
  @ApiProperty({ type: [AuditLogEntryDto], description: 'Newest first' }) items!: AuditLogEntryDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
