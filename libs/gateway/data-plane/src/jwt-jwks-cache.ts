import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

/** A verification key of a JSON Web Key Set, imported once. */
export interface JwksKey {
  kid: string | undefined;
  /** `RSA`, `EC` or `OKP`. */
  kty: string;
  /** The curve of an EC or OKP key (`P-256`, `Ed25519`), else undefined. */
  crv: string | undefined;
  /** The algorithm the key is restricted to, when the set says so. */
  alg: string | undefined;
  key: KeyObject;
}

/** The usable keys of one JWKS document. */
export interface JwksKeys {
  readonly byKid: ReadonlyMap<string, JwksKey>;
  readonly all: readonly JwksKey[];
}

/** The key set could not be fetched and no earlier copy is at hand. */
export class JwksUnavailableError extends Error {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`JWKS ${url}: ${reason}`);
    this.name = 'JwksUnavailableError';
  }
}

export interface JwksCacheOptions {
  /** Injectable for tests; defaults to the global fetch (undici). */
  fetch?: typeof fetch;
  /** Epoch ms; injectable for tests. */
  now?: () => number;
  /** Lifetime of a key set whose response has no Cache-Control max-age (default 10 min). */
  defaultTtlMs?: number;
  /** Bounds applied to max-age, so a `max-age=0` issuer is not fetched on every request. */
  minTtlMs?: number;
  maxTtlMs?: number;
  /** A token naming an unknown `kid` refetches the set at most this often (default 30 s). */
  unknownKidRefetchMs?: number;
  /** After a failed fetch, the next attempt waits this long (default 5 s). */
  failureBackoffMs?: number;
  /** Whole-fetch timeout (default 5 s). */
  timeoutMs?: number;
  /** Largest key-set document accepted (default 512 KiB). */
  maxBytes?: number;
}

interface Entry {
  keys: JwksKeys | null;
  expiresAt: number;
  /** No new fetch before this (set after a failure). */
  retryAt: number;
  lastError: string | null;
  lastUnknownKidRefetchAt: number;
  inflight: Promise<void> | null;
}

const supportedKeyTypes = new Set(['RSA', 'EC', 'OKP']);
const minimumRsaBits = 2048;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Imports one JWK as a public verification key; anything else (private, symmetric, weak) is skipped. */
export function importJwk(jwk: unknown): JwksKey | null {
  if (!isRecord(jwk)) return null;
  const kty = jwk['kty'];
  if (typeof kty !== 'string' || !supportedKeyTypes.has(kty)) return null;
  if (jwk['use'] !== undefined && jwk['use'] !== 'sig') return null;
  const operations = jwk['key_ops'];
  if (Array.isArray(operations) && !operations.includes('verify')) return null;
  // Only the public members: a set that wrongly publishes private parts still yields a public key.
  const member = (name: string): string | undefined => optionalString(jwk[name]);
  const publicJwk: JsonWebKey =
    kty === 'RSA'
      ? { kty, n: member('n'), e: member('e') }
      : kty === 'EC'
        ? { kty, crv: member('crv'), x: member('x'), y: member('y') }
        : { kty, crv: member('crv'), x: member('x') };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: publicJwk, format: 'jwk' });
  } catch {
    return null;
  }
  if (kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < minimumRsaBits) return null;
  return {
    kid: optionalString(jwk['kid']),
    kty,
    crv: optionalString(jwk['crv']),
    alg: optionalString(jwk['alg']),
    key,
  };
}

/** The usable keys of a JWKS document (`{ "keys": [...] }`); throws when it is not one. */
export function parseJwks(document: unknown): JwksKeys {
  if (!isRecord(document) || !Array.isArray(document['keys'])) {
    throw new Error('the document is not a JSON Web Key Set (no "keys" array)');
  }
  const all: JwksKey[] = [];
  const byKid = new Map<string, JwksKey>();
  for (const jwk of document['keys']) {
    const imported = importJwk(jwk);
    if (imported === null) continue;
    all.push(imported);
    if (imported.kid !== undefined && !byKid.has(imported.kid)) byKid.set(imported.kid, imported);
  }
  return { byKid, all };
}

/** Seconds of `max-age` in a Cache-Control value, or null (absent, or `no-cache`/`no-store`: 0). */
export function cacheControlMaxAge(header: string | null): number | null {
  if (header === null) return null;
  if (/(?:^|,)\s*no-(?:cache|store)\s*(?:,|$)/i.test(header)) return 0;
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(header);
  return match === null ? null : Number(match[1]);
}

/**
 * Key sets by URL, fetched on first use and kept for the response's Cache-Control max-age
 * (default 10 min). One fetch per URL is in flight at a time; a token with an unknown `kid` may
 * trigger a refetch at most every 30 s per URL; after a failure the previous keys keep serving.
 */
export class JwksCache {
  private readonly entries = new Map<string, Entry>();
  private readonly fetchFunction: typeof fetch;
  private readonly now: () => number;
  private readonly defaultTtlMs: number;
  private readonly minTtlMs: number;
  private readonly maxTtlMs: number;
  private readonly unknownKidRefetchMs: number;
  private readonly failureBackoffMs: number;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;

  constructor(options: JwksCacheOptions = {}) {
    this.fetchFunction = options.fetch ?? ((input, init) => fetch(input, init));
    this.now = options.now ?? Date.now;
    this.defaultTtlMs = options.defaultTtlMs ?? 600_000;
    this.minTtlMs = options.minTtlMs ?? 30_000;
    this.maxTtlMs = options.maxTtlMs ?? 86_400_000;
    this.unknownKidRefetchMs = options.unknownKidRefetchMs ?? 30_000;
    this.failureBackoffMs = options.failureBackoffMs ?? 5_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.maxBytes = options.maxBytes ?? 512 * 1024;
  }

  /** The current keys of `url`, fetching them when absent or expired. */
  async keys(url: string): Promise<JwksKeys> {
    const entry = this.entry(url);
    const now = this.now();
    if (entry.keys !== null && now < entry.expiresAt) return entry.keys;
    if (now >= entry.retryAt) await this.refresh(url, entry);
    return this.available(url, entry);
  }

  /**
   * The keys after a token named a `kid` the set lacks: refetched when the last such refetch is at
   * least 30 s old (signing keys rotate; unknown ids must not let anyone hammer the issuer).
   */
  async keysAfterUnknownKid(url: string): Promise<JwksKeys> {
    const entry = this.entry(url);
    const now = this.now();
    if (entry.inflight === null && now - entry.lastUnknownKidRefetchAt >= this.unknownKidRefetchMs) {
      entry.lastUnknownKidRefetchAt = now;
      await this.refresh(url, entry);
    } else if (entry.inflight !== null) {
      await entry.inflight;
    }
    return this.available(url, entry);
  }

  /** Forgets the sets of URLs no API uses any more. */
  retain(urls: ReadonlySet<string>): void {
    for (const url of this.entries.keys()) {
      if (!urls.has(url)) this.entries.delete(url);
    }
  }

  private entry(url: string): Entry {
    let entry = this.entries.get(url);
    if (entry === undefined) {
      entry = {
        keys: null,
        expiresAt: 0,
        retryAt: 0,
        lastError: null,
        lastUnknownKidRefetchAt: Number.NEGATIVE_INFINITY,
        inflight: null,
      };
      this.entries.set(url, entry);
    }
    return entry;
  }

  private available(url: string, entry: Entry): JwksKeys {
    if (entry.keys !== null) return entry.keys;
    throw new JwksUnavailableError(url, entry.lastError ?? 'not fetched yet');
  }

  private refresh(url: string, entry: Entry): Promise<void> {
    entry.inflight ??= this.fetchKeys(url, entry).finally(() => {
      entry.inflight = null;
    });
    return entry.inflight;
  }

  private async fetchKeys(url: string, entry: Entry): Promise<void> {
    try {
      const response = await this.fetchFunction(url, {
        headers: { accept: 'application/jwk-set+json, application/json' },
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new Error(`answered HTTP ${response.status}`);
      }
      const declared = Number(response.headers.get('content-length') ?? 0);
      if (declared > this.maxBytes) {
        await response.body?.cancel();
        throw new Error(`the key set is larger than ${this.maxBytes} bytes`);
      }
      const text = await response.text();
      if (Buffer.byteLength(text) > this.maxBytes)
        throw new Error(`the key set is larger than ${this.maxBytes} bytes`);
      let document: unknown;
      try {
        document = JSON.parse(text);
      } catch {
        throw new Error('the key set is not JSON');
      }
      const keys = parseJwks(document);
      const maxAge = cacheControlMaxAge(response.headers.get('cache-control'));
      const ttl =
        maxAge === null ? this.defaultTtlMs : Math.min(this.maxTtlMs, Math.max(this.minTtlMs, maxAge * 1000));
      const now = this.now();
      entry.keys = keys;
      entry.expiresAt = now + ttl;
      entry.retryAt = 0;
      entry.lastError = null;
    } catch (error) {
      // Keep serving the previous keys, if any; try again after the backoff.
      entry.lastError = error instanceof Error ? error.message : String(error);
      entry.retryAt = this.now() + this.failureBackoffMs;
    }
  }
}
