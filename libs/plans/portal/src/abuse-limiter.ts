import { createHash } from 'node:crypto';
import { DomainError } from '@tollgate/errors';
import { type Counters } from '@tollgate/ports';

/** At most `limit` events per fixed window of `windowSeconds`. */
export interface AbuseLimit {
  limit: number;
  windowSeconds: number;
}

/** The control plane's own abuse limits: signup, login and password reset. */
export interface PortalAbuseLimits {
  signupPerIp: AbuseLimit;
  signupPerEmail: AbuseLimit;
  /** Password-reset and verification-mail requests (both send mail to an address). */
  mailRequestPerIp: AbuseLimit;
  mailRequestPerEmail: AbuseLimit;
  /** Every login attempt from one address. */
  loginPerIp: AbuseLimit;
  /** Failed logins for one email, whether or not the account exists. */
  loginFailuresPerAccount: AbuseLimit;
}

export type AbuseRule = keyof PortalAbuseLimits;

export const defaultPortalAbuseLimits: PortalAbuseLimits = {
  signupPerIp: { limit: 10, windowSeconds: 3600 },
  signupPerEmail: { limit: 5, windowSeconds: 3600 },
  mailRequestPerIp: { limit: 10, windowSeconds: 3600 },
  mailRequestPerEmail: { limit: 5, windowSeconds: 3600 },
  loginPerIp: { limit: 30, windowSeconds: 900 },
  loginFailuresPerAccount: { limit: 10, windowSeconds: 900 },
};

/** 429: the client must wait `retryAfterSeconds` (sent as Retry-After). */
export class TooManyAttemptsError extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super('limit_exceeded', `Too many attempts; try again in ${retryAfterSeconds} seconds`, {
      retryAfterSeconds,
    });
  }
}

/** What a rule counts: a client address, or an account identified by its (normalised) email. */
export type AbuseSubject = { ip: string } | { email: string };

/**
 * Fixed-window counters on the Counters port (Redis when distributed, so every control-plane
 * instance shares the limits; memory when embedded). Keys are `portal:{<subject>}:<rule>:<window>`:
 * the braces are the Redis Cluster hash tag, and emails appear only as a hash.
 */
export class PortalAbuseLimiter {
  readonly limits: PortalAbuseLimits;

  constructor(
    private readonly counters: Counters,
    limits: Partial<PortalAbuseLimits> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...defaultPortalAbuseLimits, ...limits };
  }

  /** Counts one attempt; throws TooManyAttemptsError when the window's allowance is used up. */
  async consume(rule: AbuseRule, subject: AbuseSubject): Promise<void> {
    const { key, limit, expiresAtMs } = this.window(rule, subject);
    const update = await this.counters.incrementWithin(key, 1, limit, expiresAtMs);
    if (!update.applied) throw this.refusal(expiresAtMs);
  }

  /** Throws when the allowance is already used up, without counting (e.g. before checking a password). */
  async assertAllowed(rule: AbuseRule, subject: AbuseSubject): Promise<void> {
    const { key, limit, expiresAtMs } = this.window(rule, subject);
    if ((await this.counters.get(key)) >= limit) throw this.refusal(expiresAtMs);
  }

  /** Counts one event unconditionally (e.g. a failed login). */
  async record(rule: AbuseRule, subject: AbuseSubject): Promise<void> {
    const { key, expiresAtMs } = this.window(rule, subject);
    await this.counters.increment(key, 1, expiresAtMs);
  }

  private window(
    rule: AbuseRule,
    subject: AbuseSubject,
  ): { key: string; limit: number; expiresAtMs: number } {
    const { limit, windowSeconds } = this.limits[rule];
    const windowMs = windowSeconds * 1000;
    const index = Math.floor(this.now() / windowMs);
    const tag =
      'ip' in subject
        ? `ip:${subject.ip}`
        : `email:${createHash('sha256').update(subject.email).digest('hex').slice(0, 32)}`;
    return { key: `portal:{${tag}}:${rule}:${index}`, limit, expiresAtMs: (index + 1) * windowMs };
  }

  private refusal(expiresAtMs: number): TooManyAttemptsError {
    return new TooManyAttemptsError(Math.max(1, Math.ceil((expiresAtMs - this.now()) / 1000)));
  }
}
