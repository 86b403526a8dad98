import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  Put,
  Query,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCookieAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ConflictError, DomainError, NotFoundError } from '@tollgate/errors';
import { consumerSpendCap, setConsumerSpendCap, type SpendCapView } from '@tollgate/plans-data';
import { spendCapInputSchema } from '@tollgate/plans-domain';
import {
  choosePlanInputSchema,
  consumerInvoiceEstimate,
  developerConsumer,
  type InvoiceEstimateView,
  isFreePlan,
  selectablePlanFilter,
} from '@tollgate/plans-portal';
import { type Developer } from '@tollgate/relational';
import { type BillingLinks, type InvoiceSummary } from '../billing-links.port';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { validateBody, ZodApiBody } from '../zod-validation';
import { PortalEstimateDto, PortalRedirectDto, PortalSpendCapDto } from './portal-billing.dto';
import { PortalInvoiceDto, PortalInvoicesQueryDocs, portalInvoicesQuerySchema } from './portal-invoices.dto';
import { CurrentDeveloper, PortalGuard } from './portal.guard';
import { PortalProblemFilter } from './portal-problem.filter';

/** The developer's bill: estimate and forecast, spend cap, and the billing provider's hosted pages. */
@ApiTags('portal')
@ApiCookieAuth('tg_session')
@Controller('api/portal')
@UseGuards(PortalGuard)
@UseFilters(PortalProblemFilter)
@ApiUnauthorizedResponse({ description: 'No valid tg_session cookie' })
export class PortalBillingController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Get('estimate')
  @ApiOperation({
    summary: "This billing period's invoice estimate and forecast",
    description:
      "Usage so far rated on your plan's prices, and at the last 7 days' rate: when the quota is reached and the projected bill.",
  })
  @ApiOkResponse({ type: PortalEstimateDto })
  async estimate(@CurrentDeveloper() developer: Developer): Promise<InvoiceEstimateView> {
    const consumer = await developerConsumer(this.deps.prisma, developer.id);
    return consumerInvoiceEstimate(this.deps.prisma, this.deps.usage, consumer.id);
  }

  @Get('spend-cap')
  @ApiOperation({ summary: 'Your monthly spend cap (pay-per-call plans)' })
  @ApiOkResponse({ type: PortalSpendCapDto })
  async spendCap(@CurrentDeveloper() developer: Developer): Promise<SpendCapView> {
    const consumer = await developerConsumer(this.deps.prisma, developer.id);
    return consumerSpendCap(this.deps.prisma, consumer.id);
  }

  @Put('spend-cap')
  @ApiOperation({
    summary: 'Set or remove your monthly spend cap',
    description:
      'Minor units of the plan currency, or null to remove it. Once the charge of the next request would pass the cap, the gateway answers 402 until the billing period resets.',
  })
  @ZodApiBody(spendCapInputSchema)
  @ApiOkResponse({ type: PortalSpendCapDto })
  @ApiBadRequestResponse({
    description: 'Not a pay-per-call plan, or not a valid amount: `errors[]` names capMinor',
  })
  async setSpendCap(@CurrentDeveloper() developer: Developer, @Body() body: unknown): Promise<SpendCapView> {
    const consumer = await developerConsumer(this.deps.prisma, developer.id);
    const { view, changed } = await setConsumerSpendCap(
      this.deps.prisma,
      consumer.id,
      validateBody(spendCapInputSchema, body),
    );
    if (changed) await this.deps.snapshots.refresh();
    return view;
  }

  @Post('checkout')
  @HttpCode(200)
  @ApiOperation({ summary: 'A checkout page of the billing provider for a paid public plan' })
  @ZodApiBody(choosePlanInputSchema)
  @ApiOkResponse({ type: PortalRedirectDto })
  @ApiNotFoundResponse({ description: 'Billing is not configured, or no such public plan' })
  @ApiConflictResponse({ description: 'A free plan: choose it with POST /api/portal/plan' })
  async checkout(@CurrentDeveloper() developer: Developer, @Body() body: unknown): Promise<{ url: string }> {
    const links = this.billingLinks();
    const { planId } = validateBody(choosePlanInputSchema, body);
    const plan = await this.deps.prisma.plan.findFirst({ where: { id: planId, ...selectablePlanFilter } });
    if (!plan) throw new NotFoundError('Plan', planId);
    if (isFreePlan(plan)) {
      throw new ConflictError('Free plans need no checkout: choose them with POST /api/portal/plan', {
        planId,
      });
    }
    const consumer = await developerConsumer(this.deps.prisma, developer.id);
    const base = this.portalUrl();
    return links.checkout({
      consumerId: consumer.id,
      planId,
      successUrl: `${base}/billing?checkout=success`,
      cancelUrl: `${base}/plans?checkout=canceled`,
    });
  }

  @Post('billing-portal')
  @HttpCode(200)
  @ApiOperation({ summary: "The billing provider's customer portal: payment methods and invoices" })
  @ApiOkResponse({ type: PortalRedirectDto })
  @ApiNotFoundResponse({ description: 'Billing is not configured' })
  async billingPortal(@CurrentDeveloper() developer: Developer): Promise<{ url: string }> {
    const links = this.billingLinks();
    const consumer = await developerConsumer(this.deps.prisma, developer.id);
    return links.customerPortal({ consumerId: consumer.id, returnUrl: `${this.portalUrl()}/billing` });
  }

  @Get('invoices')
  @ApiOperation({
    summary: 'Your most recent invoices from the billing provider, newest first',
    description:
      'Number, billing period, amounts and status of each invoice, with links to its hosted page and PDF. Empty until your first paid plan creates your billing account.',
  })
  @PortalInvoicesQueryDocs()
  @ApiOkResponse({ type: [PortalInvoiceDto] })
  @ApiBadRequestResponse({ description: 'Invalid limit: `errors[]` names it' })
  @ApiNotFoundResponse({ description: 'Billing is not configured' })
  async invoices(
    @CurrentDeveloper() developer: Developer,
    @Query() query: Record<string, unknown>,
  ): Promise<InvoiceSummary[]> {
    const links = this.billingLinks();
    const { limit } = validateBody(portalInvoicesQuerySchema, query);
    const consumer = await developerConsumer(this.deps.prisma, developer.id);
    return links.invoices({ consumerId: consumer.id, limit });
  }

  private billingLinks(): BillingLinks {
    const links = this.deps.billingLinks;
    if (!links) throw new DomainError('not_found', 'Billing is not configured on this installation');
    return links;
  }

  private portalUrl(): string {
    return `${this.deps.publicUrl.replace(/\/+$/, '')}/portal`;
  }
}
