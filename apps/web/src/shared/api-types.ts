/** Response shapes that the admin API and the portal API share. */

export interface ApiKey {
  id: string;
  consumerId: string;
  prefix: string;
  name: string;
  scopes: string[];
  expiresAt: string | null;
  revokedAt: string | null;
  replacedById: string | null;
  createdAt: string;
}

export interface UsageSummary {
  consumerId: string;
  periodStart: string;
  periodEnd: string;
  requests: number;
  totalRequests: number;
  units: Record<string, number>;
  quota: { limit: number; used: number; remaining: number; overage: number };
}

/** One webhook delivery of a consumer's alerts (admin and portal activity lists). */
export interface WebhookDelivery {
  id: string;
  eventType: string;
  url: string;
  status: 'pending' | 'delivered' | 'failed' | string;
  attempts: number;
  responseStatus: number | null;
  error: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}
