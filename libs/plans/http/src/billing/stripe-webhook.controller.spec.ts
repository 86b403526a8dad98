import { DomainError, ValidationError } from '@tollgate/errors';
import { type FastifyRequest } from 'fastify';
import { type PlansHttpDependencies } from '../plans-http.tokens';
import { StripeWebhookController } from './stripe-webhook.controller';

const request = { raw: {} } as FastifyRequest;

describe('StripeWebhookController', () => {
  it('answers not_found while STRIPE_WEBHOOK_SECRET is unset', async () => {
    const controller = new StripeWebhookController({} as PlansHttpDependencies);
    const refused = controller.receive(request, 't=1,v1=abc');
    await expect(refused).rejects.toBeInstanceOf(DomainError);
    await expect(refused).rejects.toMatchObject({ code: 'not_found' });
  });

  it('refuses a delivery without Stripe-Signature, naming the header', async () => {
    const controller = new StripeWebhookController({
      stripeWebhookSecret: 'whsec_x',
    } as PlansHttpDependencies);
    const refused = controller.receive(request, undefined);
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({
      issues: [{ field: 'Stripe-Signature', message: 'required' }],
    });
  });
});
