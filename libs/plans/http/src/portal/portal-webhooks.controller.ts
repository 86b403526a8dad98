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
  ApiQuery,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { DomainError } from '@tollgate/errors';
import {
  type AlertSettingsView,
  consumerAlertSettings,
  consumerWebhookDeliveries,
  revealConsumerWebhookSecret,
  rotateConsumerWebhookSecret,
  updateConsumerAlertSettings,
  type WebhookDeliveryView,
  type WebhookSecretView,
} from '@tollgate/plans-data';
import { alertSettingsInputSchema, deliveryListQuerySchema } from '@tollgate/plans-domain';
import { developerConsumer, TooManyAttemptsError } from '@tollgate/plans-portal';
import { type Developer } from '@tollgate/relational';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { validateBody, ZodApiBody } from '../zod-validation';
import {
  PortalAlertSettingsDto,
  PortalWebhookDeliveryDto,
  PortalWebhookSecretDto,
} from './portal-billing.dto';
import { CurrentDeveloper, PortalGuard } from './portal.guard';
import { PortalProblemFilter } from './portal-problem.filter';

/** Test deliveries each consumer may send per window: enough to debug an endpoint, too few to scan a network. */
const testDeliveriesPerWindow = 5;
const testDeliveryWindowMs = 60_000;

/** Where alerts go: contact emails and a signed webhook, with its secret, a test and a delivery log. */
@ApiTags('portal')
@ApiCookieAuth('tg_session')
@Controller('api/portal')
@UseGuards(PortalGuard)
@UseFilters(PortalProblemFilter)
@ApiUnauthorizedResponse({ description: 'No valid tg_session cookie' })
export class PortalWebhooksController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Get('alert-settings')
  @ApiOperation({ summary: 'Your alert contacts and webhook URL' })
  @ApiOkResponse({ type: PortalAlertSettingsDto })
  async settings(@CurrentDeveloper() developer: Developer): Promise<AlertSettingsView> {
    const consumer = await developerConsumer(this.deps.prisma, developer.id);
    return consumerAlertSettings(this.deps.prisma, consumer.id);
  }

  @Put('alert-settings')
  @ApiOperation({
    summary: 'Replace your alert contacts and webhook URL',
    description:
      'A first webhook URL gets a generated whsec_ signing secret; changing the URL keeps it; null turns webhooks off and drops it.',
  })
  @ZodApiBody(alertSettingsInputSchema)
  @ApiOkResponse({ type: PortalAlertSettingsDto })
  @ApiBadRequestResponse({ description: 'Invalid email or URL: `errors[]` names the field' })
  async updateSettings(
    @CurrentDeveloper() developer: Developer,
    @Body() body: unknown,
  ): Promise<AlertSettingsView> {
    const consumer = await developerConsumer(this.deps.prisma, developer.id);
    return updateConsumerAlertSettings(this.deps.prisma, consumer.id, body);
  }

  @Get('webhook-secret')
  @ApiOperation({ summary: 'Reveal the secret that signs your webhooks' })
  @ApiOkResponse({ type: PortalWebhookSecretDto })
  async secret(@CurrentDeveloper() developer: Developer): Promise<WebhookSecretView> {
    const consumer = await developerConsumer(this.deps.prisma, developer.id);
    return revealConsumerWebhookSecret(this.deps.prisma, consumer.id);
  }

  @Post('webhook-secret/rotate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Replace the signing secret; the old one stops verifying at once' })
  @ApiOkResponse({ type: PortalWebhookSecretDto })
  @ApiConflictResponse({ description: 'No webhook URL is set' })
  async rotateSecret(@CurrentDeveloper() developer: Developer): Promise<WebhookSecretView> {
    const consumer = await developerConsumer(this.deps.prisma, developer.id);
    return rotateConsumerWebhookSecret(this.deps.prisma, consumer.id);
  }

  @Post('webhooks/test')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Send one signed webhook.test event to your URL now; the delivery says how it went',
    description: `At most ${testDeliveriesPerWindow} per minute. A URL whose host resolves to a loopback, private or link-local address is not contacted: the delivery fails with "webhook URL resolves to a private address".`,
  })
  @ApiOkResponse({ type: PortalWebhookDeliveryDto })
  @ApiBadRequestResponse({ description: 'No webhook URL is set (`errors[]` names webhookUrl)' })
  @ApiNotFoundResponse({ description: 'Webhooks are not available on this installation' })
  @ApiTooManyRequestsResponse({
    description: `More than ${testDeliveriesPerWindow} test deliveries in a minute; see Retry-After`,
  })
  async test(@CurrentDeveloper() developer: Developer): Promise<object> {
    const webhooks = this.deps.webhooks;
    if (!webhooks) throw new DomainError('not_found', 'Webhooks are not configured on this installation');
    const consumer = await developerConsumer(this.deps.prisma, developer.id);
    const now = Date.now();
    const window = Math.floor(now / testDeliveryWindowMs);
    const expiresAt = (window + 1) * testDeliveryWindowMs;
    const update = await this.deps.counters.incrementWithin(
      `portal:{consumer:${consumer.id}}:webhook-test:${window}`,
      1,
      testDeliveriesPerWindow,
      expiresAt,
    );
    if (!update.applied) throw new TooManyAttemptsError(Math.max(1, Math.ceil((expiresAt - now) / 1000)));
    return webhooks.sendTest(consumer.id);
  }

  @Get('webhooks/deliveries')
  @ApiOperation({ summary: 'Your webhook deliveries and their outcome, newest first' })
  @ApiQuery({ name: 'limit', required: false, type: Number, description: '1–200, default 50' })
  @ApiOkResponse({ type: [PortalWebhookDeliveryDto] })
  @ApiBadRequestResponse({ description: 'Invalid limit' })
  async deliveries(
    @CurrentDeveloper() developer: Developer,
    @Query() query: Record<string, unknown>,
  ): Promise<WebhookDeliveryView[]> {
    const { limit } = validateBody(deliveryListQuerySchema, query);
    const consumer = await developerConsumer(this.deps.prisma, developer.id);
    return consumerWebhookDeliveries(this.deps.prisma, consumer.id, limit);
  }
}
