import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery } from '@nestjs/swagger';
import {
  type AlertView,
  consumerAlertHistory,
  consumerBillingOverview,
  type ConsumerBillingView,
  consumerWebhookDeliveries,
  type WebhookDeliveryView,
} from '@tollgate/plans-data';
import { deliveryListQuerySchema } from '@tollgate/plans-domain';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { PortalAlertDto, PortalWebhookDeliveryDto } from '../portal/portal-billing.dto';
import { validateBody } from '../zod-validation';
import { AdminController } from './admin-endpoint.decorator';
import { AdminConsumerBillingDto } from './consumer-billing.dto';

const limitQuery = ApiQuery({
  name: 'limit',
  required: false,
  type: Number,
  description: '1–200, default 50',
});

/** A consumer's alerts, webhook deliveries and billing records, for support and reconciliation. */
@AdminController('consumers')
@Controller('api/admin/consumers/:id')
export class ConsumerBillingController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Get('alerts')
  @ApiOperation({
    summary: "The consumer's alerts (quota, spend cap, payment), newest first, dismissed included",
  })
  @limitQuery
  @ApiOkResponse({ type: [PortalAlertDto] })
  alerts(@Param('id') id: string, @Query() query: Record<string, unknown>): Promise<AlertView[]> {
    const { limit } = validateBody(deliveryListQuerySchema, query);
    return consumerAlertHistory(this.deps.prisma, id, limit);
  }

  @Get('webhook-deliveries')
  @ApiOperation({ summary: "The consumer's webhook deliveries with each one's outcome, newest first" })
  @limitQuery
  @ApiOkResponse({ type: [PortalWebhookDeliveryDto] })
  deliveries(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<WebhookDeliveryView[]> {
    const { limit } = validateBody(deliveryListQuerySchema, query);
    return consumerWebhookDeliveries(this.deps.prisma, id, limit);
  }

  @Get('billing')
  @ApiOperation({
    summary: "The consumer's Stripe ids, usage ledger (metered, reported, acknowledged) and pushes",
  })
  @limitQuery
  @ApiOkResponse({ type: AdminConsumerBillingDto })
  billing(@Param('id') id: string, @Query() query: Record<string, unknown>): Promise<ConsumerBillingView> {
    const { limit } = validateBody(deliveryListQuerySchema, query);
    return consumerBillingOverview(this.deps.prisma, id, limit);
  }
}
