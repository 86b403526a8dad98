import { z } from 'zod';

/**
 * A billable metric: how a plan turns events into one number per billing period.
 *
 * - `count`: events (access-log requests, or ingested business events of `eventType`).
 * - `sum` / `max` / `latest`: of the number at `usage[valueKey]` (`Tollgate-Usage: sms=2` or an
 *   ingested event's data).
 * - `unique_count`: distinct values of `usage[valueKey]`.
 *
 * `countedOnly` applies the plan's counting policy (requests the quota does not count are left
 * out); filters narrow the events by endpoint, method and status class or code.
 */
export const meterAggregations = ['count', 'sum', 'max', 'latest', 'unique_count'] as const;
export type MeterAggregation = (typeof meterAggregations)[number];

export const meterSlugSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, 'Must be a meter name such as "requests" or "sms"');

const usageKeySchema = z
  .string()
  .regex(/^[a-z*][a-z0-9_\-.*]{0,62}$/, 'Must be a Tollgate-Usage key such as "sms"');

/** A status code (`404`) or a class (`2xx`). */
export const statusFilterSchema = z.union([
  z.number().int().min(100).max(599),
  z.enum(['1xx', '2xx', '3xx', '4xx', '5xx']),
]);

export const meterFiltersSchema = z.strictObject({
  endpoints: z.array(z.string().min(1).max(200)).max(100).optional(),
  methods: z
    .array(z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']))
    .max(7)
    .optional(),
  statuses: z.array(statusFilterSchema).max(50).optional(),
});

export const meterDefinitionSchema = z
  .strictObject({
    slug: meterSlugSchema,
    aggregation: z.enum(meterAggregations),
    /** Required for every aggregation but `count`. */
    valueKey: usageKeySchema.optional(),
    /** `count` over ingested business events of this type instead of requests. */
    eventType: z.string().min(1).max(200).optional(),
    /** Apply the plan's counting policy (default true for request meters). */
    countedOnly: z.boolean().default(true),
    filters: meterFiltersSchema.default({}),
  })
  .superRefine((meter, context) => {
    if (meter.aggregation !== 'count' && meter.valueKey === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['valueKey'],
        message: `Required for a ${meter.aggregation} meter`,
      });
    }
  });

export const meterDefinitionsSchema = z
  .array(meterDefinitionSchema)
  .max(50)
  .superRefine((meters, context) => {
    const seen = new Set<string>();
    meters.forEach((meter, index) => {
      if (seen.has(meter.slug)) {
        context.addIssue({ code: 'custom', path: [index, 'slug'], message: `Duplicate meter ${meter.slug}` });
      }
      seen.add(meter.slug);
    });
  });

export type MeterDefinition = z.output<typeof meterDefinitionSchema>;
export type MeterDefinitionInput = z.input<typeof meterDefinitionSchema>;

/** The meter every plan has: requests counted against the quota. */
export const requestsMeter: MeterDefinition = Object.freeze({
  slug: 'requests',
  aggregation: 'count',
  countedOnly: true,
  filters: {},
}) as MeterDefinition;
