import { z } from 'zod';

export const ACCESS_LOG_TOPIC = 'tollgate.access-log.v1';

/** Business units reported by an upstream in the `Tollgate-Usage` header: name → non-negative amount. */
export const usageSchema = z.record(
  z.string().regex(/^[a-z*][a-z0-9_\-.*]*$/),
  z.number().finite().nonnegative(),
);

/** One event per request that reached a known consumer (DESIGN.md, "The access-log event"). */
export const accessLogEventSchema = z.object({
  id: z.uuid(),
  ts: z.number().int().nonnegative(),
  consumerId: z.string().min(1),
  planId: z.string().min(1),
  apiId: z.string().min(1),
  endpoint: z.string().min(1),
  method: z.string().min(1),
  status: z.number().int().min(100).max(599),
  requestBytes: z.number().int().nonnegative(),
  responseBytes: z.number().int().nonnegative(),
  latencyMs: z.number().nonnegative(),
  upstreamLatencyMs: z.number().nonnegative(),
  cached: z.boolean(),
  counted: z.boolean(),
  /** Admitted beyond the quota, inside the plan's overage buffer (billed at the overage price). */
  overage: z.boolean().optional(),
  usage: usageSchema,
});

export type AccessLogEvent = z.infer<typeof accessLogEventSchema>;
