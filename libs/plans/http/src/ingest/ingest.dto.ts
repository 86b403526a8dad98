import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ingestCloudEventSchema, MAX_INGEST_BATCH } from '@tollgate/metering-domain';
import { type IngestEventResult, type IngestOutcome, type IngestStatus } from '@tollgate/plans-data';
import { z } from 'zod';

/** What `POST /api/events` accepts: one CloudEvent, or a batch (a JSON array) of them. */
export const ingestBodySchema = z.union([
  ingestCloudEventSchema,
  z.array(ingestCloudEventSchema).min(1).max(MAX_INGEST_BATCH),
]);

/** The media types of the CloudEvents JSON format (structured mode), besides `application/json`. */
export const cloudEventMediaType = 'application/cloudevents+json';
export const cloudEventBatchMediaType = 'application/cloudevents-batch+json';

const ingestStatuses: IngestStatus[] = ['accepted', 'duplicate', 'rejected', 'failed'];

class IngestFieldErrorDto {
  @ApiProperty({ example: 'time', description: 'Path of the invalid field within the event' }) field!: string;
  @ApiProperty({ example: 'Must be an RFC 3339 timestamp with an offset' }) message!: string;
}

export class IngestEventResultDto implements IngestEventResult {
  @ApiProperty({ example: 0, description: 'Position of the event in the request (0 for a single event)' })
  index!: number;
  @ApiProperty({ type: String, nullable: true, example: 'evt-1', description: 'The event id as sent' })
  id!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '/billing/sms',
    description: 'The event source as sent',
  })
  source!: string | null;
  @ApiProperty({
    enum: ingestStatuses,
    description:
      'accepted: produced for metering; duplicate: this (source, id) was ingested before (or earlier in this request), nothing done; rejected: invalid or unknown consumer, see errors; failed: not ingested because the event log was unavailable (only in a 503), safe to resend',
  })
  status!: IngestStatus;
  @ApiPropertyOptional({ type: [IngestFieldErrorDto], description: 'Why a rejected event was refused' })
  errors?: IngestFieldErrorDto[];
}

export class IngestOutcomeDto implements IngestOutcome {
  @ApiProperty({ type: [IngestEventResultDto], description: 'One result per event, in request order' })
  results!: IngestEventResultDto[];
}
