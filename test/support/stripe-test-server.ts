// The Stripe test server lives with the Stripe adapter; integration tests import it from here.
export {
  type AcceptedMeterEvent,
  type RecordedStripeCall,
  type StripeObject,
  type StripeTestServer,
  type StripeTestServerOptions,
  startStripeTestServer,
} from '@tollgate/billing-stripe/testing';
