import { formatCount, formatInstant, formatMoney } from './mail-formatting';
import { renderLayout } from './mail-layout';
import { html, type RenderedMail } from './mail-renderer';
import { usageBarHtml, usageBarText, usagePercent } from './usage-bar';

export interface OverageTerms {
  /** Requests up to quota × (1 + bufferPercent/100) pass. */
  bufferPercent: number;
  /** Price of each request beyond the quota, minor units. */
  unitPriceMinor: number;
  currency: string;
}

export interface QuotaNoticeInput {
  publicUrl: string;
  consumerName: string;
  planName: string;
  /** Quota units used in the period when the notice was raised. */
  used: number;
  /** The period quota. */
  limit: number;
  /** The percent of the quota the notice is about (80, 95, 100 …). */
  threshold: number;
  /** When the period ends and the quota resets. */
  resetsAt: Date;
  timeZone: string;
  /** The plan's overage terms; null: requests beyond the quota are refused. */
  overage: OverageTerms | null;
}

export interface SpendCapNoticeInput {
  publicUrl: string;
  consumerName: string;
  planName: string;
  threshold: number;
  spentMinor: number;
  capMinor: number;
  currency: string;
  resetsAt: Date;
  timeZone: string;
}

export const upgradePath = '/portal/plans';

/** Units the overage buffer admits beyond the quota (the gateway's ceiling minus the quota). */
export function overageUnits(limit: number, bufferPercent: number): number {
  return Math.floor((limit * (100 + bufferPercent)) / 100) - limit;
}

function upgradeAction(publicUrl: string): { label: string; url: string } {
  return { label: 'Compare plans and upgrade', url: `${publicUrl}${upgradePath}` };
}

/** What the consumer should expect once the quota is used up, in one sentence. */
function atHundredPercent(input: QuotaNoticeInput): string {
  const reset = formatInstant(input.resetsAt, input.timeZone);
  if (!input.overage) {
    return `Further requests are refused (HTTP 429) until the quota resets on ${reset}.`;
  }
  const extra = overageUnits(input.limit, input.overage.bufferPercent);
  const price = formatMoney(input.overage.unitPriceMinor, input.overage.currency);
  return (
    `Requests keep working as overage: up to ${formatCount(extra)} more ` +
    `(${input.overage.bufferPercent} % of the quota), each billed at ${price}. ` +
    `After that, requests are refused (HTTP 429) until the quota resets on ${reset}.`
  );
}

function usageLine(input: QuotaNoticeInput): string {
  return `${formatCount(input.used)} of ${formatCount(input.limit)} requests used this period on the ${input.planName} plan.`;
}

/** A threshold below the quota's end (80 %, 95 % …): a heads-up with what happens at 100 %. */
export function thresholdNotice(input: QuotaNoticeInput): RenderedMail {
  const percent = usagePercent(input.used, input.limit);
  const subject = `${input.consumerName}: ${input.threshold} % of your ${input.planName} quota used`;
  const whatNext = atHundredPercent(input);
  const reset = formatInstant(input.resetsAt, input.timeZone);
  return renderLayout({
    subject,
    headline: `You have used ${input.threshold} % of your quota`,
    publicUrl: input.publicUrl,
    action: upgradeAction(input.publicUrl),
    body: html`${usageBarHtml(percent)}
      <p style="margin:0 0 12px">${usageLine(input)} The quota resets on ${reset}.</p>
      <p style="margin:0 0 12px"><strong>What happens at 100 %:</strong> ${whatNext}</p>
      <p style="margin:0 0 12px">Need more? A larger plan raises the quota right away.</p>`,
    textBody: [
      usageBarText(percent),
      `${usageLine(input)} The quota resets on ${reset}.`,
      `What happens at 100 %: ${whatNext}`,
      'Need more? A larger plan raises the quota right away.',
    ],
  });
}

/** The quota is used up on a plan with overage: requests continue and are billed. */
export function overageNotice(input: QuotaNoticeInput & { overage: OverageTerms }): RenderedMail {
  const percent = usagePercent(input.used, input.limit);
  const extra = overageUnits(input.limit, input.overage.bufferPercent);
  const price = formatMoney(input.overage.unitPriceMinor, input.overage.currency);
  const reset = formatInstant(input.resetsAt, input.timeZone);
  const subject = `${input.consumerName}: your ${input.planName} quota is used up, overage billing has started`;
  const terms =
    `Requests beyond the quota keep working and each is billed at ${price}, ` +
    `for up to ${formatCount(extra)} more requests this period.`;
  const stop = `After those, requests are refused (HTTP 429) until the quota resets on ${reset}.`;
  return renderLayout({
    subject,
    headline: 'Your quota is used up: overage billing has started',
    publicUrl: input.publicUrl,
    action: upgradeAction(input.publicUrl),
    body: html`${usageBarHtml(percent)}
      <p style="margin:0 0 12px">${usageLine(input)}</p>
      <p style="margin:0 0 12px"><strong>What overage costs:</strong> ${terms}</p>
      <p style="margin:0 0 12px">${stop}</p>
      <p style="margin:0 0 12px">A larger plan usually costs less than steady overage.</p>`,
    textBody: [
      usageBarText(percent),
      usageLine(input),
      `What overage costs: ${terms}`,
      stop,
      'A larger plan usually costs less than steady overage.',
    ],
  });
}

/**
 * The hard stop: requests are refused until the reset. On a plan without overage it is sent at
 * 100 %; on a plan with overage, when the overage buffer is used up too.
 */
export function hardStopNotice(input: QuotaNoticeInput): RenderedMail {
  const percent = usagePercent(input.used, input.limit);
  const reset = formatInstant(input.resetsAt, input.timeZone);
  const subject = input.overage
    ? `${input.consumerName}: quota and overage used up, requests are refused until ${reset}`
    : `${input.consumerName}: your ${input.planName} quota is used up, requests are refused until ${reset}`;
  const what = input.overage
    ? `You have used the quota and its overage buffer (${input.overage.bufferPercent} % more).`
    : 'You have used the whole quota of this period.';
  const refused = `Further requests are refused (HTTP 429) until the quota resets on ${reset}.`;
  return renderLayout({
    subject,
    headline: input.overage
      ? 'Quota and overage used up: requests are refused'
      : 'Your quota is used up: requests are refused',
    publicUrl: input.publicUrl,
    action: upgradeAction(input.publicUrl),
    body: html`${usageBarHtml(percent)}
      <p style="margin:0 0 12px">${usageLine(input)} ${what}</p>
      <p style="margin:0 0 12px"><strong>${refused}</strong></p>
      <p style="margin:0 0 12px">Upgrade now to continue without waiting for the reset.</p>`,
    textBody: [
      usageBarText(percent),
      `${usageLine(input)} ${what}`,
      refused,
      'Upgrade now to continue without waiting for the reset.',
    ],
  });
}

/** A threshold of the developer's own monthly spend cap (pay-per-call plans). */
export function spendCapNotice(input: SpendCapNoticeInput): RenderedMail {
  const percent = usagePercent(input.spentMinor, input.capMinor);
  const spent = formatMoney(input.spentMinor, input.currency);
  const cap = formatMoney(input.capMinor, input.currency);
  const reset = formatInstant(input.resetsAt, input.timeZone);
  const reached = input.threshold >= 100;
  const subject = reached
    ? `${input.consumerName}: your spend cap of ${cap} is reached`
    : `${input.consumerName}: ${input.threshold} % of your spend cap used`;
  const line = `${spent} of your ${cap} spend cap used this period on the ${input.planName} plan.`;
  const whatNext = reached
    ? `Further requests are refused (HTTP 402) until the period resets on ${reset}, unless you raise or remove the cap in the portal.`
    : `At 100 % further requests are refused (HTTP 402) until the period resets on ${reset}; you can raise the cap in the portal at any time.`;
  return renderLayout({
    subject,
    headline: reached ? 'Your spend cap is reached' : `You have used ${input.threshold} % of your spend cap`,
    publicUrl: input.publicUrl,
    action: { label: 'Review your spend cap', url: `${input.publicUrl}${upgradePath}` },
    body: html`${usageBarHtml(percent)}
      <p style="margin:0 0 12px">${line}</p>
      <p style="margin:0 0 12px">
        <strong>${reached ? 'What happens now:' : 'What happens at 100 %:'}</strong> ${whatNext}
      </p>`,
    textBody: [
      usageBarText(percent),
      line,
      `${reached ? 'What happens now:' : 'What happens at 100 %:'} ${whatNext}`,
    ],
  });
}
