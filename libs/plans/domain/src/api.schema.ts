import { z } from 'zod';
import { apiJwtSchema, keyInQuerySchema } from './api-jwt.schema';
import { httpMethods, httpUrlSchema, nameSchema } from './schema-primitives';

export const pathPrefixSchema = z
  .string()
  .max(200)
  .regex(
    /^(\/[A-Za-z0-9._~-]+)+$/,
    'Must start with "/" and have no trailing slash, e.g. "/orders" or "/v1/orders"',
  );

/** `POST /api/admin/apis`: requests under pathPrefix are proxied to upstreamUrl. */
export const apiCreateSchema = z.strictObject({
  name: nameSchema,
  pathPrefix: pathPrefixSchema,
  upstreamUrl: httpUrlSchema,
  /** Remove the prefix before forwarding (default true). */
  stripPrefix: z.boolean().default(true),
  /** A query parameter that may carry the API key; null (the default): keys only in headers. */
  keyInQuery: keyInQuerySchema.nullable().default(null),
  /** JWT bearer authentication; null (the default): off. API keys keep working either way. */
  jwt: apiJwtSchema.nullable().default(null),
});

export const apiPatchSchema = z.strictObject({
  name: nameSchema.optional(),
  pathPrefix: pathPrefixSchema.optional(),
  upstreamUrl: httpUrlSchema.optional(),
  stripPrefix: z.boolean().optional(),
  keyInQuery: keyInQuerySchema.nullable().optional(),
  /** Replaces the whole JWT configuration; null turns JWT authentication off. */
  jwt: apiJwtSchema.nullable().optional(),
});

export const routeMethods = [...httpMethods, '*'] as const;

const pathTemplateSchema = z
  .string()
  .max(500)
  .regex(
    /^\/([A-Za-z0-9._~-]+|:[A-Za-z_][A-Za-z0-9_]*|\*)?(\/([A-Za-z0-9._~-]+|:[A-Za-z_][A-Za-z0-9_]*|\*))*$/,
    'Must be a path template relative to the API prefix, e.g. "/v1/orders/:id"',
  );

/** A route: method and path template, the metered endpoint name `METHOD /template`, and its cost. */
export const routeCreateSchema = z.strictObject({
  method: z
    .string()
    .transform((method) => method.toUpperCase())
    .pipe(z.enum(routeMethods, { message: `Must be one of ${routeMethods.join(', ')}` })),
  pathTemplate: pathTemplateSchema,
  /** Quota units one call costs (default 1). */
  costWeight: z.number().int().min(1).max(1000).default(1),
});

export const routePatchSchema = z.strictObject({
  method: routeCreateSchema.shape.method.optional(),
  pathTemplate: pathTemplateSchema.optional(),
  costWeight: z.number().int().min(1).max(1000).optional(),
});

export type ApiCreate = z.output<typeof apiCreateSchema>;
export type ApiCreateInput = z.input<typeof apiCreateSchema>;
export type ApiPatch = z.output<typeof apiPatchSchema>;
export type RouteCreate = z.output<typeof routeCreateSchema>;
export type RouteCreateInput = z.input<typeof routeCreateSchema>;
export type RoutePatch = z.output<typeof routePatchSchema>;
