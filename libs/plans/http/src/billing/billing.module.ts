import { type DynamicModule, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type FastifyInstance } from 'fastify';
import { AdminGuard } from '../admin.guard';
import { PLANS_DEPENDENCIES, type PlansHttpDependencies } from '../plans-http.tokens';
import { ConsumerStripeLinkController, StripeWebhookController } from './stripe-webhook.controller';
import { keepStripeWebhookRawBody } from './stripe-webhook.raw-body';

/** Stripe webhooks (/api/billing/stripe/webhook) and the admin link to Stripe ids. */
@Module({})
export class BillingModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  static forRoot(deps: PlansHttpDependencies): DynamicModule {
    return {
      module: BillingModule,
      controllers: [StripeWebhookController, ConsumerStripeLinkController],
      providers: [{ provide: PLANS_DEPENDENCIES, useValue: deps }, AdminGuard],
    };
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (fastify) keepStripeWebhookRawBody(fastify);
  }
}
