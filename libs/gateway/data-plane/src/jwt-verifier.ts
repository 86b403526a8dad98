import { constants, type KeyObject, verify } from 'node:crypto';
import { type SnapshotApiJwt } from '@tollgate/gateway-snapshot';
import { type JwksCache, type JwksKey, type JwksKeys, JwksUnavailableError } from './jwt-jwks-cache';

/** Asymmetric algorithms only: an HMAC or `none` token can never be accepted, whatever it claims. */
export const supportedJwtAlgorithms = ['RS256', 'ES256', 'PS256', 'EdDSA'] as const;
export type SupportedJwtAlgorithm = (typeof supportedJwtAlgorithms)[number];

export type JwtFailureReason =
  | 'malformed'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'missing_expiry'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'missing_consumer_claim'
  | 'keys_unavailable';

export type JwtVerification =
  | {
      ok: true;
      /** The consumer claim's value: the consumer's externalId. */
      consumerRef: string;
      claims: Readonly<Record<string, unknown>>;
    }
  | { ok: false; reason: JwtFailureReason; detail: string };

/** A validated JWT configuration of one API. */
export interface JwtSettings {
  jwksUrl: string;
  issuer: string;
  audience: string;
  consumerClaim: string;
  algorithms: ReadonlySet<SupportedJwtAlgorithm>;
  clockToleranceMs: number;
}

const maxTokenLength = 16_384;
const maxToleranceSeconds = 300;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBase64UrlCode(code: number): boolean {
  return (
    (code >= 65 && code <= 90) || // A-Z
    (code >= 97 && code <= 122) || // a-z
    (code >= 48 && code <= 57) || // 0-9
    code === 45 || // -
    code === 95 // _
  );
}

/** Three non-empty base64url parts joined by dots: the JWS compact serialization. */
export function looksLikeJwt(token: string): boolean {
  if (token.length < 5 || token.length > maxTokenLength) return false;
  let dots = 0;
  let partLength = 0;
  for (let index = 0; index < token.length; index += 1) {
    const code = token.charCodeAt(index);
    if (code === 46 /* . */) {
      if (partLength === 0) return false;
      dots += 1;
      partLength = 0;
    } else if (isBase64UrlCode(code)) {
      partLength += 1;
    } else {
      return false;
    }
  }
  return dots === 2 && partLength > 0;
}

/** The settings of a snapshot's JWT configuration, or a sentence saying why it cannot be used. */
export function jwtSettings(config: SnapshotApiJwt): JwtSettings | string {
  let url: URL;
  try {
    url = new URL(config.jwksUrl);
  } catch {
    return `jwksUrl "${String(config.jwksUrl)}" is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'jwksUrl must be http or https';
  if (typeof config.issuer !== 'string' || config.issuer === '') return 'issuer is missing';
  if (typeof config.audience !== 'string' || config.audience === '') return 'audience is missing';
  const algorithms = new Set<SupportedJwtAlgorithm>();
  for (const algorithm of Array.isArray(config.algorithms) ? config.algorithms : []) {
    if ((supportedJwtAlgorithms as readonly string[]).includes(algorithm)) {
      algorithms.add(algorithm as SupportedJwtAlgorithm);
    }
  }
  if (algorithms.size === 0) return `no supported algorithm (${supportedJwtAlgorithms.join(', ')})`;
  const tolerance = config.clockToleranceSeconds;
  return {
    jwksUrl: config.jwksUrl,
    issuer: config.issuer,
    audience: config.audience,
    consumerClaim:
      typeof config.consumerClaim === 'string' && config.consumerClaim !== '' ? config.consumerClaim : 'sub',
    algorithms,
    clockToleranceMs:
      Number.isInteger(tolerance) && tolerance >= 0 && tolerance <= maxToleranceSeconds
        ? tolerance * 1000
        : 30_000,
  };
}

function decodeJson(part: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}

/** Whether a key may verify `algorithm`: its type and curve fit, and its own `alg` (if any) agrees. */
export function keyFitsAlgorithm(key: JwksKey, algorithm: SupportedJwtAlgorithm): boolean {
  if (key.alg !== undefined && key.alg !== algorithm) return false;
  switch (algorithm) {
    case 'RS256':
    case 'PS256':
      return key.kty === 'RSA';
    case 'ES256':
      return key.kty === 'EC' && key.crv === 'P-256';
    case 'EdDSA':
      return key.kty === 'OKP' && (key.crv === 'Ed25519' || key.crv === 'Ed448');
  }
}

function signatureValid(
  algorithm: SupportedJwtAlgorithm,
  key: KeyObject,
  data: Buffer,
  signature: Buffer,
): boolean {
  try {
    switch (algorithm) {
      case 'RS256':
        return verify('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'PS256':
        return verify(
          'sha256',
          data,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
          signature,
        );
      case 'ES256':
        // JWS carries r‖s (64 bytes), not DER.
        return (
          signature.length === 64 && verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature)
        );
      case 'EdDSA':
        return verify(null, data, key, signature);
    }
  } catch {
    return false;
  }
}

function failure(reason: JwtFailureReason, detail: string): JwtVerification {
  return { ok: false, reason, detail };
}

function audienceMatches(claim: unknown, audience: string): boolean {
  if (typeof claim === 'string') return claim === audience;
  return Array.isArray(claim) && claim.includes(audience);
}

function numericDate(value: unknown): number | null | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value * 1000 : null;
}

/**
 * Verifies JWS compact tokens (signed JWTs) against one API's settings, with node:crypto only:
 * the algorithm must be allowed and fit the key, the signature must verify, then `exp` (required),
 * `nbf` and `iat` with the clock tolerance, `iss`, `aud`, and the consumer claim.
 */
export class JwtVerifier {
  constructor(
    readonly settings: JwtSettings,
    private readonly jwks: JwksCache,
  ) {}

  async verify(token: string, now: number): Promise<JwtVerification> {
    if (!looksLikeJwt(token)) return failure('malformed', 'The token is not a signed JWT');
    const firstDot = token.indexOf('.');
    const secondDot = token.indexOf('.', firstDot + 1);
    const header = decodeJson(token.slice(0, firstDot));
    if (header === null) return failure('malformed', 'The token header is not JSON');
    const algorithm = header['alg'];
    if (typeof algorithm !== 'string' || !this.settings.algorithms.has(algorithm as SupportedJwtAlgorithm)) {
      return failure(
        'algorithm_not_allowed',
        `The token algorithm ${typeof algorithm === 'string' ? algorithm : '(none)'} is not accepted`,
      );
    }
    if (header['crit'] !== undefined) {
      return failure('malformed', 'The token has critical header parameters this gateway does not support');
    }
    const alg = algorithm as SupportedJwtAlgorithm;
    const kid = typeof header['kid'] === 'string' ? header['kid'] : undefined;

    let candidates: JwksKey[] | 'algorithm_mismatch';
    try {
      candidates = await this.candidateKeys(alg, kid);
    } catch (error) {
      if (error instanceof JwksUnavailableError) {
        return failure('keys_unavailable', error.message);
      }
      throw error;
    }
    if (candidates === 'algorithm_mismatch') {
      return failure('algorithm_not_allowed', `The signing key "${kid ?? ''}" is not a ${alg} key`);
    }
    if (candidates.length === 0) {
      return failure(
        'unknown_key',
        kid === undefined ? `No signing key fits ${alg}` : `The signing key "${kid}" is unknown`,
      );
    }
    const data = Buffer.from(token.slice(0, secondDot), 'ascii');
    const signature = Buffer.from(token.slice(secondDot + 1), 'base64url');
    if (!candidates.some((candidate) => signatureValid(alg, candidate.key, data, signature))) {
      return failure('bad_signature', 'The token signature is not valid');
    }

    const claims = decodeJson(token.slice(firstDot + 1, secondDot));
    if (claims === null) return failure('malformed', 'The token payload is not a JSON object');
    const tolerance = this.settings.clockToleranceMs;
    const expiresAt = numericDate(claims['exp']);
    if (expiresAt === undefined) return failure('missing_expiry', 'The token has no expiry (exp)');
    if (expiresAt === null) return failure('malformed', 'The token exp is not a number');
    if (now >= expiresAt + tolerance) return failure('expired', 'The token has expired');
    const notBefore = numericDate(claims['nbf']);
    if (notBefore === null) return failure('malformed', 'The token nbf is not a number');
    if (notBefore !== undefined && now < notBefore - tolerance) {
      return failure('not_yet_valid', 'The token is not valid yet (nbf)');
    }
    const issuedAt = numericDate(claims['iat']);
    if (issuedAt === null) return failure('malformed', 'The token iat is not a number');
    if (issuedAt !== undefined && issuedAt > now + tolerance) {
      return failure('issued_in_future', 'The token is issued in the future (iat)');
    }
    if (claims['iss'] !== this.settings.issuer) {
      return failure('wrong_issuer', 'The token issuer (iss) is not accepted');
    }
    if (!audienceMatches(claims['aud'], this.settings.audience)) {
      return failure('wrong_audience', 'The token audience (aud) is not this API');
    }
    const reference = claims[this.settings.consumerClaim];
    const consumerRef =
      typeof reference === 'string' ? reference : Number.isSafeInteger(reference) ? String(reference) : '';
    if (consumerRef === '') {
      return failure(
        'missing_consumer_claim',
        `The token has no ${this.settings.consumerClaim} claim naming the consumer`,
      );
    }
    return { ok: true, consumerRef, claims };
  }

  private async candidateKeys(
    alg: SupportedJwtAlgorithm,
    kid: string | undefined,
  ): Promise<JwksKey[] | 'algorithm_mismatch'> {
    const url = this.settings.jwksUrl;
    let keys: JwksKeys = await this.jwks.keys(url);
    if (kid !== undefined) {
      let key = keys.byKid.get(kid);
      if (key === undefined) {
        keys = await this.jwks.keysAfterUnknownKid(url);
        key = keys.byKid.get(kid);
      }
      if (key === undefined) return [];
      // A named key that does not fit the algorithm is refused, never swapped for another key.
      return keyFitsAlgorithm(key, alg) ? [key] : 'algorithm_mismatch';
    }
    return keys.all.filter((key) => keyFitsAlgorithm(key, alg));
  }
}
