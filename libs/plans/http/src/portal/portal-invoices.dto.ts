import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';

/** Query of `GET /api/portal/invoices`. */
export const portalInvoicesQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(12),
});
export type PortalInvoicesQuery = z.output<typeof portalInvoicesQuerySchema>;

/** OpenAPI description of the query of `GET /api/portal/invoices`. */
export function PortalInvoicesQueryDocs(): MethodDecorator {
  return applyDecorators(
    ApiQuery({
      name: 'limit',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 100, default: 12 },
      description: 'How many of the most recent invoices to return',
    }),
  );
}

/** OpenAPI description of one invoice in the portal. */
export class PortalInvoiceDto {
  @ApiProperty({ example: 'in_1QxY2z' }) id!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '8F1A2B3C-0001',
    description: 'Assigned when the invoice is finalized',
  })
  number!: string | null;
  @ApiProperty({ enum: ['draft', 'open', 'paid', 'uncollectible', 'void'] }) status!: string;
  @ApiProperty({ example: 'usd', description: 'Lower-case ISO 4217 code' }) currency!: string;
  @ApiProperty({ description: 'Integer minor units of `currency`' }) amountDueMinor!: number;
  @ApiProperty({ description: 'Integer minor units of `currency`' }) amountPaidMinor!: number;
  @ApiProperty({ format: 'date-time' }) periodStart!: string;
  @ApiProperty({ format: 'date-time' }) periodEnd!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: "The billing provider's page of the invoice, where it can be paid; null for a draft",
  })
  hostedInvoiceUrl!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The invoice as a PDF; null for a draft' })
  invoicePdfUrl!: string | null;
}
