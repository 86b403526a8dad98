import { isValidTimeZone } from '@tollgate/billing-period';
import { z } from 'zod';

/** Largest value of a Postgres `integer` column. */
export const int32Max = 2_147_483_647;

/** ISO 4217 code, stored lower-case as Stripe does (`usd`). */
export const currencySchema = z
  .string()
  .regex(/^[A-Za-z]{3}$/, 'Must be a three-letter ISO 4217 currency code')
  .transform((code) => code.toLowerCase());

/** Money is integer minor units (cents), never a binary float. */
export const minorAmountSchema = z
  .number()
  .int('Must be an integer amount in minor units')
  .min(0)
  .max(Number.MAX_SAFE_INTEGER);

export const nameSchema = z.string().trim().min(1, 'Must not be empty').max(200);

export const emailSchema = z
  .email('Must be an email address')
  .max(320)
  .transform((email) => email.toLowerCase());

export const httpUrlSchema = z
  .url({ protocol: /^https?$/, message: 'Must be an http or https URL' })
  .max(2000);

export const timeZoneSchema = z
  .string()
  .min(1)
  .max(100)
  .refine(isValidTimeZone, 'Must be an IANA time zone such as Europe/Paris');

/** An instant with an explicit offset (`2026-03-01T00:00:00Z`), parsed to a Date. */
export const instantSchema = z.iso
  .datetime({
    offset: true,
    message: 'Must be an ISO 8601 date-time with an offset, e.g. 2026-03-01T00:00:00Z',
  })
  .transform((value) => new Date(value));

export const httpMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

/** A metered endpoint name: method and path template, e.g. `GET /v1/orders/:id`. */
export const endpointNameSchema = z
  .string()
  .regex(
    /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|\*) \/\S*$/,
    'Must be a method and a path template, e.g. "GET /v1/orders/:id"',
  );

/** Query-string integers arrive as text. */
export const limitQuerySchema = z.coerce.number().int().min(1).max(200).default(50);
