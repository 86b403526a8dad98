import { Body, Controller, Headers, HttpCode, Inject, Param, Post, Put, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiExtraModels,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { DomainError, ValidationError } from '@tollgate/errors';
import {
  type Actor,
  linkConsumerToStripe,
  processStripeEvent,
  type StripeLink,
  type StripeLinkView,
  type StripeWebhookEvent,
} from '@tollgate/plans-data';
import { type FastifyRequest } from 'fastify';
import Stripe from 'stripe';
import { AdminActor } from '../admin.guard';
import { AdminController } from '../admin/admin-endpoint.decorator';
import { problemResponse, ProblemDto } from '../admin/problem.dto';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { ZodApiBody, ZodValidationPipe } from '../zod-validation';
import { StripeLinkDto, stripeLinkSchema, StripeWebhookReceiptDto } from './stripe-webhook.dto';
import { rawBodyOf } from './stripe-webhook.raw-body';

/** Stripe signs `timestamp.payload`; a signature older than this many seconds is refused (replays). */
const signatureToleranceSeconds = 300;

/** Stripe's webhook deliveries: signed, recorded once, applied to linked subscriptions. */
@ApiTags('billing')
@ApiExtraModels(ProblemDto)
@Controller('api/billing/stripe')
export class StripeWebhookController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Post('webhook')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Receive a Stripe webhook event',
    description:
      'Authenticated by the `Stripe-Signature` header over the raw body (STRIPE_WEBHOOK_SECRET, 300 s tolerance), not by an admin token. Each event id is applied once: a redelivery answers `duplicate: true` and changes nothing. `invoice.payment_failed` makes the linked subscription past_due, `invoice.paid` makes it active again, `customer.subscription.deleted` cancels it; an event older than the last one applied to the subscription is recorded as `stale`; other types are recorded and ignored. See docs/billing-webhooks.md.',
  })
  @ApiHeader({ name: 'Stripe-Signature', required: true })
  @ApiOkResponse({ type: StripeWebhookReceiptDto })
  @ApiBadRequestResponse(
    problemResponse('Missing or invalid `Stripe-Signature`, or a body that is not an event'),
  )
  @ApiNotFoundResponse(problemResponse('Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET unset)'))
  async receive(
    @Req() request: FastifyRequest,
    @Headers('stripe-signature') signature: string | undefined,
  ): Promise<StripeWebhookReceiptDto> {
    const secret = this.deps.stripeWebhookSecret;
    if (!secret) {
      throw new DomainError('not_found', 'Stripe webhooks are not configured: set STRIPE_WEBHOOK_SECRET');
    }
    if (!signature) {
      throw new ValidationError([{ field: 'Stripe-Signature', message: 'required' }]);
    }
    const raw = rawBodyOf(request);
    if (!raw) throw new ValidationError([{ field: '(body)', message: 'a JSON Stripe event is required' }]);
    let event: Stripe.Event;
    try {
      event = Stripe.webhooks.constructEvent(raw, signature, secret, signatureToleranceSeconds);
    } catch (error) {
      throw new ValidationError([
        {
          field: 'Stripe-Signature',
          message: error instanceof Error ? error.message : 'does not match the body',
        },
      ]);
    }
    const result = await processStripeEvent(this.deps.prisma, eventOf(event));
    if (result.changed) await this.deps.snapshots.refresh();
    return { received: true, duplicate: result.duplicate, outcome: result.outcome };
  }
}

function eventOf(event: Stripe.Event): StripeWebhookEvent {
  if (typeof event.id !== 'string' || typeof event.type !== 'string' || typeof event.created !== 'number') {
    throw new ValidationError([{ field: '(body)', message: 'a Stripe event needs id, type and created' }]);
  }
  return { id: event.id, type: event.type, created: event.created, data: { object: event.data?.object } };
}

@AdminController('consumers')
@Controller('api/admin/consumers')
export class ConsumerStripeLinkController {
  constructor(@Inject(PLANS_DEPENDENCIES) private readonly deps: PlansHttpDependencies) {}

  @Put(':id/stripe')
  @ApiOperation({
    summary: "Link a consumer and its live subscription to Stripe's customer and subscription",
    description:
      'Webhooks find the subscription by `stripeSubscriptionId`, else by the customer. An absent field is left as is; null unlinks. An id already linked elsewhere is a 409.',
  })
  @ZodApiBody(stripeLinkSchema)
  @ApiOkResponse({ type: StripeLinkDto })
  link(
    @Param('id') id: string,
    @Body(new ZodValidationPipe(stripeLinkSchema)) body: StripeLink,
    @AdminActor() actor: Actor,
  ): Promise<StripeLinkView> {
    return linkConsumerToStripe(this.deps.prisma, id, body, actor);
  }
}
