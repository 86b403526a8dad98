/** Shapes of the portal API's answers (`/api/portal`), as documented in docs/portal-api.md. */

import { type ApiKey } from '../shared/api-types';

export type { ApiKey, UsageSummary, WebhookDelivery } from '../shared/api-types';

export interface Developer {
  id: string;
  email: string;
  name: string;
  emailVerified: boolean;
  createdAt: string;
}

export interface PortalPlan {
  id: string;
  slug: string;
  name: string;
  tier: string;
  description: string | null;
  version: number;
  free: boolean;
  quota: { limit: number; period: 'month' | 'day' };
  rateLimit: { perSecond: number; burst: number } | null;
  concurrency: number | null;
  overage: { bufferPercent: number; unitPriceMinor: number; currency: string } | null;
  countingPolicy: { count4xx: boolean; count5xx: boolean; summary: string };
  prices: unknown[];
  priceSummary: string[];
  trialDays: number;
}

export interface DeveloperProfile {
  developer: Developer;
  consumer: { id: string; name: string; email: string; status: string; timeZone: string } | null;
  subscription: {
    id: string;
    status: string;
    planVersion: number;
    periodAnchor: string;
    currentPeriod: { start: string; end: string };
  } | null;
  plan: PortalPlan | null;
}

export interface CreatedApiKey extends Omit<ApiKey, 'revokedAt' | 'replacedById'> {
  key: string;
  previousKeyId?: string;
  previousKeyExpiresAt?: string;
}

export interface UsageFigures {
  requests: number;
  totalRequests: number;
  units: Record<string, number>;
}

export interface UsageTimeseries {
  consumerId: string;
  granularity: 'minute' | 'hour' | 'day';
  from: string;
  to: string;
  points: Array<UsageFigures & { start: string; end: string }>;
}

export interface UsageBreakdown {
  consumerId: string;
  by: 'endpoint' | 'status';
  from: string;
  to: string;
  rows: Array<UsageFigures & { key: string }>;
}

export type AlertKind =
  | 'quota_threshold'
  | 'quota_exhausted'
  | 'spend_cap'
  | 'payment_failed'
  | 'grace_expired'
  | 'payment_recovered';

export interface PortalAlert {
  id: string;
  kind: AlertKind | string;
  threshold: number | null;
  usedUnits: number | null;
  limitUnits: number | null;
  createdAt: string;
}

export interface AlertSettings {
  billingEmails: string[];
  webhookUrl: string | null;
}

export interface SpendCap {
  capMinor: number | null;
  currency?: string;
}

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';

/** One invoice from the billing provider (`GET /api/portal/invoices`). */
export interface PortalInvoice {
  id: string;
  number: string | null;
  status: InvoiceStatus | string;
  currency: string;
  amountDueMinor: number;
  amountPaidMinor: number;
  periodStart: string;
  periodEnd: string;
  createdAt: string;
  hostedInvoiceUrl: string | null;
  invoicePdfUrl: string | null;
}
