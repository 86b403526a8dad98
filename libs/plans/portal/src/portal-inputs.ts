import { z } from 'zod';

/** Portal request bodies, shared with the web app. */

export const minimumPasswordLength = 10;

/** Trimmed and lower-cased before anything else, so `A@x.io ` and `a@x.io` are one account. */
export const developerEmailSchema = z
  .string('Must be an email address')
  .trim()
  .toLowerCase()
  .max(254, 'Must be at most 254 characters')
  .pipe(z.email('Must be an email address'));

// The upper bound keeps a megabyte "password" from costing a key derivation of that size.
export const passwordSchema = z
  .string('Must be a string')
  .min(minimumPasswordLength, `Must be at least ${minimumPasswordLength} characters`)
  .max(1024, 'Must be at most 1024 characters');

export const signupInputSchema = z.strictObject({
  email: developerEmailSchema,
  password: passwordSchema,
  name: z.string('Must be a string').trim().min(1, 'Must not be empty').max(200),
});
export type SignupInput = z.output<typeof signupInputSchema>;

export const loginInputSchema = z.strictObject({
  email: developerEmailSchema,
  // Any non-empty string: a login never tells which password rule an old password breaks.
  password: z.string('Must be a string').min(1, 'Must not be empty').max(1024),
});
export type LoginInput = z.output<typeof loginInputSchema>;

export const emailOnlyInputSchema = z.strictObject({ email: developerEmailSchema });
export type EmailOnlyInput = z.output<typeof emailOnlyInputSchema>;

const tokenSchema = z.string('Must be a string').min(1, 'Must not be empty').max(2048);

export const verifyEmailInputSchema = z.strictObject({ token: tokenSchema });
export type VerifyEmailInput = z.output<typeof verifyEmailInputSchema>;

export const passwordResetConfirmInputSchema = z.strictObject({
  token: tokenSchema,
  password: passwordSchema,
});
export type PasswordResetConfirmInput = z.output<typeof passwordResetConfirmInputSchema>;

export const createPortalKeyInputSchema = z.strictObject({
  name: z.string('Must be a string').trim().min(1, 'Must not be empty').max(100).optional(),
  expiresAt: z.iso
    .datetime({ offset: true, message: 'Must be an ISO 8601 date-time with an offset' })
    .transform((value) => new Date(value))
    .optional(),
});
export type CreatePortalKeyInput = z.output<typeof createPortalKeyInputSchema>;

export const choosePlanInputSchema = z.strictObject({
  planId: z.string('Must be a string').min(1, 'Must not be empty').max(100),
});
export type ChoosePlanInput = z.output<typeof choosePlanInputSchema>;
