import { formatInstant } from './mail-formatting';
import { renderLayout } from './mail-layout';
import { html, type RenderedMail } from './mail-renderer';
import { upgradePath } from './usage-notices';

export type PastDuePolicyName = 'downgrade' | 'suspend';

interface PaymentNoticeBase {
  publicUrl: string;
  consumerName: string;
  planName: string;
  timeZone: string;
}

export interface PaymentFailedNoticeInput extends PaymentNoticeBase {
  /** When the grace period ends and the past-due policy applies. */
  graceEndsAt: Date;
  policy: PastDuePolicyName;
  /** The plan a downgrade moves to, when the policy is downgrade. */
  freePlanName: string | null;
}

export interface DowngradedNoticeInput extends PaymentNoticeBase {
  /** The plan the subscription is on now. */
  freePlanName: string;
  freePlanLimit: number;
}

export interface PaymentRecoveredNoticeInput extends PaymentNoticeBase {
  /** What the payment undid: the plan restored after a downgrade, keys reactivated, or nothing yet. */
  restored: 'plan' | 'keys' | null;
}

function paymentAction(publicUrl: string): { label: string; url: string } {
  return { label: 'Update your payment method', url: `${publicUrl}${upgradePath}` };
}

/** The first notice of a past-due episode: what failed, until when nothing changes, and what then. */
export function paymentFailedNotice(input: PaymentFailedNoticeInput): RenderedMail {
  const graceEnd = formatInstant(input.graceEndsAt, input.timeZone);
  const consequence =
    input.policy === 'suspend'
      ? `your API keys will be suspended and requests refused until the invoice is paid`
      : `your subscription will move to the ${input.freePlanName ?? 'free'} plan, with its lower limits, until the invoice is paid`;
  const grace = `Your ${input.planName} plan keeps working until ${graceEnd}. If the invoice is still unpaid then, ${consequence}.`;
  return renderLayout({
    subject: `${input.consumerName}: payment failed for your ${input.planName} plan`,
    headline: 'We could not collect your payment',
    publicUrl: input.publicUrl,
    action: paymentAction(input.publicUrl),
    body: html`<p style="margin:0 0 12px">
        The latest invoice of your ${input.planName} plan could not be paid.
      </p>
      <p style="margin:0 0 12px"><strong>${grace}</strong></p>
      <p style="margin:0 0 12px">
        Updating your payment method settles the invoice and keeps everything as it is.
      </p>`,
    textBody: [
      `The latest invoice of your ${input.planName} plan could not be paid.`,
      grace,
      'Updating your payment method settles the invoice and keeps everything as it is.',
    ],
  });
}

/** The grace period is over and the subscription was moved to the free plan. */
export function downgradedNotice(input: DowngradedNoticeInput): RenderedMail {
  const limit = new Intl.NumberFormat('en-US').format(input.freePlanLimit);
  const what = `Your invoice is still unpaid, so your subscription moved from the ${input.planName} plan to the ${input.freePlanName} plan (${limit} requests per period).`;
  const back = `Once the invoice is paid, your ${input.planName} plan is restored automatically.`;
  return renderLayout({
    subject: `${input.consumerName}: moved to the ${input.freePlanName} plan after an unpaid invoice`,
    headline: `Your subscription is now on the ${input.freePlanName} plan`,
    publicUrl: input.publicUrl,
    action: paymentAction(input.publicUrl),
    body: html`<p style="margin:0 0 12px">${what}</p>
      <p style="margin:0 0 12px"><strong>${back}</strong></p>`,
    textBody: [what, back],
  });
}

/** The grace period is over and the consumer's keys were suspended. */
export function suspendedNotice(input: PaymentNoticeBase): RenderedMail {
  const what = `Your invoice for the ${input.planName} plan is still unpaid, so your API keys are suspended: requests are refused.`;
  const back = 'Once the invoice is paid, your keys work again automatically.';
  return renderLayout({
    subject: `${input.consumerName}: API keys suspended after an unpaid invoice`,
    headline: 'Your API keys are suspended',
    publicUrl: input.publicUrl,
    action: paymentAction(input.publicUrl),
    body: html`<p style="margin:0 0 12px">${what}</p>
      <p style="margin:0 0 12px"><strong>${back}</strong></p>`,
    textBody: [what, back],
  });
}

/** The invoice is paid: the past-due episode is over and whatever it changed is undone. */
export function paymentRecoveredNotice(input: PaymentRecoveredNoticeInput): RenderedMail {
  const what =
    input.restored === 'plan'
      ? `Your payment went through and your ${input.planName} plan is restored.`
      : input.restored === 'keys'
        ? `Your payment went through and your API keys work again on the ${input.planName} plan.`
        : `Your payment went through: your ${input.planName} plan continues as before.`;
  return renderLayout({
    subject: `${input.consumerName}: payment received, thank you`,
    headline: 'Payment received',
    publicUrl: input.publicUrl,
    action: { label: 'Open the developer portal', url: `${input.publicUrl}/portal/usage` },
    body: html`<p style="margin:0 0 12px">${what}</p>`,
    textBody: [what],
  });
}
