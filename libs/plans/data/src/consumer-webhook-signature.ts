import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The header that carries the signature of every webhook Tollgate sends to a consumer. */
export const tollgateSignatureHeader = 'Tollgate-Signature';

/** A new signing secret for a consumer's webhooks: `whsec_` and 192 random bits. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

/** Deliveries older (or newer) than this are refused by default: a replay window of five minutes. */
export const defaultSignatureToleranceSeconds = 300;

function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/**
 * The `Tollgate-Signature` value of a body: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 * The timestamp is inside the signed text, so a captured delivery cannot be replayed later with a
 * fresh timestamp.
 */
export function signWebhookPayload(body: string, secret: string, timestampSeconds?: number): string {
  const timestamp = timestampSeconds ?? Math.floor(Date.now() / 1000);
  return `t=${timestamp},v1=${signatureOf(secret, timestamp, body)}`;
}

export type SignatureVerification =
  { valid: true; timestamp: number } | { valid: false; reason: 'malformed' | 'expired' | 'mismatch' };

/**
 * Checks a `Tollgate-Signature` header against the raw body as received (before any JSON parsing):
 * the timestamp must be within `toleranceSeconds` of `nowSeconds`, and one `v1` value must match.
 * Several `v1` entries are accepted, so a secret can be rotated while both are in use.
 */
export function verifyTollgateSignature(
  body: string,
  header: string | undefined | null,
  secret: string,
  toleranceSeconds = defaultSignatureToleranceSeconds,
  nowSeconds = Math.floor(Date.now() / 1000),
): SignatureVerification {
  if (!header) return { valid: false, reason: 'malformed' };
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (timestamp === undefined || candidates.length === 0) return { valid: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { valid: false, reason: 'expired' };
  const expected = Buffer.from(signatureOf(secret, timestamp, body), 'hex');
  const matches = candidates.some((candidate) => timingSafeEqual(Buffer.from(candidate, 'hex'), expected));
  return matches ? { valid: true, timestamp } : { valid: false, reason: 'mismatch' };
}
