import { z } from 'zod';
import { httpUrlSchema } from './schema-primitives';

/** Signature algorithms a JWT-authenticated API may accept: asymmetric only, so no shared secret. */
export const jwtAlgorithms = ['RS256', 'ES256', 'PS256', 'EdDSA'] as const;
export type JwtAlgorithm = (typeof jwtAlgorithms)[number];

export const defaultJwtAlgorithms: JwtAlgorithm[] = ['RS256', 'ES256'];
export const defaultJwtConsumerClaim = 'sub';
export const defaultJwtClockToleranceSeconds = 30;

/**
 * JWT bearer authentication of an API: tokens signed by a key of the JWKS at `jwksUrl`, issued by
 * `issuer` for `audience`; the `consumerClaim` claim's value is a consumer's `externalId`.
 */
export const apiJwtSchema = z.strictObject({
  jwksUrl: httpUrlSchema,
  /** Must equal the token's `iss` claim. */
  issuer: z.string().trim().min(1, 'Must not be empty').max(500),
  /** Must be the token's `aud` claim, or one of its entries. */
  audience: z.string().trim().min(1, 'Must not be empty').max(500),
  /** The claim naming the consumer (default `sub`). */
  consumerClaim: z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/, 'Must be a claim name such as "sub"')
    .default(defaultJwtConsumerClaim),
  algorithms: z
    .array(z.enum(jwtAlgorithms, { message: `Must be one of ${jwtAlgorithms.join(', ')}` }))
    .min(1)
    .max(jwtAlgorithms.length)
    .transform((algorithms) => [...new Set(algorithms)])
    .default(defaultJwtAlgorithms),
  /** Leeway for `exp`, `nbf` and `iat`, in seconds (default 30). */
  clockToleranceSeconds: z.number().int().min(0).max(300).default(defaultJwtClockToleranceSeconds),
});

export type ApiJwt = z.output<typeof apiJwtSchema>;
export type ApiJwtInput = z.input<typeof apiJwtSchema>;

/** A query parameter name that may carry the API key, e.g. `api_key`. */
export const keyInQuerySchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'Must be 1 to 64 letters, digits, "_", "." or "-", e.g. "api_key"');
