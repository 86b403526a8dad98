import { ApiProperty } from '@nestjs/swagger';
import { type UsageSummary } from '@tollgate/metering-domain';

class QuotaDto {
  @ApiProperty() limit!: number;
  @ApiProperty() used!: number;
  @ApiProperty() remaining!: number;
  @ApiProperty({ description: 'Counted requests beyond the limit' }) overage!: number;
}

/** OpenAPI description of UsageSummary. */
export class UsageSummaryDto implements UsageSummary {
  @ApiProperty() consumerId!: string;
  @ApiProperty({ format: 'date-time' }) periodStart!: string;
  @ApiProperty({ format: 'date-time', description: 'Exclusive' }) periodEnd!: string;
  @ApiProperty({ description: "Requests counted against the quota under the plan's counting policy" })
  requests!: number;
  @ApiProperty({ description: 'Every recorded request, counted or not' }) totalRequests!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, example: { sms: 3 } })
  units!: Record<string, number>;
  @ApiProperty({ type: QuotaDto }) quota!: QuotaDto;
}
