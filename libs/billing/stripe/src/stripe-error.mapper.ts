import { ConflictError, DependencyUnavailableError, DomainError, ValidationError } from '@tollgate/errors';
import Stripe from 'stripe';

type StripeError = InstanceType<typeof Stripe.errors.StripeError>;

export function isStripeError(error: unknown): error is StripeError {
  return error instanceof Stripe.errors.StripeError;
}

/** Rate limits, Stripe-side failures and lost connections: safe to retry with the same key. */
export function isRetryable(error: unknown): boolean {
  if (!isStripeError(error)) return false;
  if (error.type === 'StripeRateLimitError' || error.type === 'StripeConnectionError') return true;
  return error.type === 'StripeAPIError' || (error.statusCode ?? 0) >= 500 || error.statusCode === 409;
}

/** Translates a Stripe SDK error into Tollgate's typed errors, naming the operation and field. */
export function toDomainError(error: unknown, operation: string): Error {
  if (!isStripeError(error)) return error instanceof Error ? error : new Error(String(error));
  const detail = `Stripe ${operation} failed: ${error.message}`;
  switch (error.type) {
    case 'StripeInvalidRequestError':
      if (error.statusCode === 404 || error.code === 'resource_missing') {
        return new DomainError('not_found', detail, { provider: 'stripe', field: error.param ?? null });
      }
      return new ValidationError([{ field: error.param ?? 'stripe', message: error.message }], detail);
    case 'StripeIdempotencyError':
      return new ConflictError(detail, { provider: 'stripe' });
    case 'StripeAuthenticationError':
    case 'StripePermissionError':
      return new DomainError(
        'upstream_failed',
        `Stripe ${operation} failed: the secret key was rejected (check STRIPE_SECRET_KEY)`,
        { provider: 'stripe' },
      );
    case 'StripeCardError':
      return new DomainError('upstream_failed', detail, { provider: 'stripe', code: error.code ?? null });
    default: {
      const unavailable = new DependencyUnavailableError('Stripe', error);
      unavailable.message = `Stripe is unavailable (${operation}): ${error.message}`;
      return unavailable;
    }
  }
}
