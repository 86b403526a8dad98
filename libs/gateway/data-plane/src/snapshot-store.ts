import { type BillingPeriod, billingPeriodAt, isValidTimeZone } from '@tollgate/billing-period';
import {
  type GatewaySnapshot,
  type SnapshotApi,
  type SnapshotConsumer,
  type SnapshotKey,
  type SnapshotPlan,
  snapshotPlanKey,
} from '@tollgate/gateway-snapshot';
import { JwksCache } from './jwt-jwks-cache';
import { jwtSettings, JwtVerifier } from './jwt-verifier';
import { type CompiledRoute, compileRoute, sortRoutes } from './route-matcher';

export interface CompiledApi {
  record: SnapshotApi;
  /** The prefix without a trailing slash (`''` for an API mounted at `/`). */
  prefix: string;
  /** Scheme, host and port of the upstream, e.g. `http://orders:8080`: one connection pool each. */
  origin: string;
  /** The upstream URL's own path without a trailing slash, prepended to every forwarded path. */
  basePath: string;
  /** Most specific first. */
  routes: CompiledRoute[];
  /** The query parameter that may carry the API key, or null (headers only). */
  keyInQuery: string | null;
  /** Verifies JWT bearer tokens for this API; null when JWT authentication is off. */
  jwt: JwtVerifier | null;
}

export interface CompiledPlan {
  record: SnapshotPlan;
  /** null: every endpoint is allowed. */
  allowedEndpoints: ReadonlySet<string> | null;
}

/** The billing period a consumer is in, with its quota counter key, cached until the period ends. */
export interface QuotaWindow extends BillingPeriod {
  counterKey: string;
}

export interface CompiledConsumer {
  record: SnapshotConsumer;
  plan: CompiledPlan | undefined;
  anchorMs: number;
  /** Cache of the current window; rebuilt when `now` leaves it. */
  window: QuotaWindow | null;
}

export interface CompiledKey {
  record: SnapshotKey;
  consumer: CompiledConsumer | undefined;
}

/** Quota counter key of a consumer's period; the `{…}` hash tag keeps one consumer's keys on one Redis slot. */
export function quotaCounterKey(consumerId: string, periodStart: number): string {
  return `q:{${consumerId}}:${periodStart}`;
}

function normalizePrefix(prefix: string): string {
  if (!prefix.startsWith('/')) throw new Error(`path prefix "${prefix}" must start with /`);
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

const queryParameterName = /^[A-Za-z0-9_.-]{1,64}$/;

function compileApi(api: SnapshotApi, issues: string[], jwks: JwksCache): CompiledApi {
  const upstream = new URL(api.upstreamUrl);
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') {
    throw new Error(`upstream ${api.upstreamUrl} must be http or https`);
  }
  const routes: CompiledRoute[] = [];
  for (const route of api.routes) {
    try {
      routes.push(compileRoute(route));
    } catch (error) {
      issues.push(
        `api ${api.id}: route ${route.method} ${route.pathTemplate} skipped: ${(error as Error).message}`,
      );
    }
  }
  const basePath = upstream.pathname.endsWith('/') ? upstream.pathname.slice(0, -1) : upstream.pathname;
  let keyInQuery: string | null = null;
  if (typeof api.keyInQuery === 'string') {
    if (queryParameterName.test(api.keyInQuery)) keyInQuery = api.keyInQuery;
    else issues.push(`api ${api.id}: key query parameter "${api.keyInQuery}" ignored: not a valid name`);
  }
  let jwt: JwtVerifier | null = null;
  if (api.jwt) {
    const settings = jwtSettings(api.jwt);
    if (typeof settings === 'string') issues.push(`api ${api.id}: JWT authentication off: ${settings}`);
    else jwt = new JwtVerifier(settings, jwks);
  }
  return {
    record: api,
    prefix: normalizePrefix(api.pathPrefix),
    origin: upstream.origin,
    basePath,
    routes: sortRoutes(routes),
    keyInQuery,
    jwt,
  };
}

/**
 * A GatewaySnapshot with the indexes the request path needs. Immutable once built, except for the
 * per-consumer window cache, which only ever holds a value derived from the snapshot itself.
 */
export class CompiledSnapshot {
  readonly version: string;
  /** Longest path prefix first. */
  readonly apis: readonly CompiledApi[];
  readonly keysByHash: ReadonlyMap<string, CompiledKey>;
  readonly consumersById: ReadonlyMap<string, CompiledConsumer>;
  /** By the consumer's externalId: what a JWT's consumer claim names. */
  readonly consumersByExternalId: ReadonlyMap<string, CompiledConsumer>;
  /** By `snapshotPlanKey(id, version)`: subscribers keep the version they are pinned to. */
  readonly plansByKey: ReadonlyMap<string, CompiledPlan>;
  /** Entries that were skipped because they were invalid (the rest of the snapshot still applies). */
  readonly issues: readonly string[];

  /** `jwks` holds the JWT signing keys; shared across snapshots so a new one does not refetch them. */
  constructor(
    readonly source: GatewaySnapshot,
    jwks: JwksCache = new JwksCache(),
  ) {
    const issues: string[] = [];
    this.version = source.version;

    const plans = new Map<string, CompiledPlan>();
    const latestVersions = new Map<string, number>();
    for (const plan of source.plans) {
      plans.set(snapshotPlanKey(plan.id, plan.version), {
        record: plan,
        allowedEndpoints: plan.allowedEndpoints === null ? null : new Set(plan.allowedEndpoints),
      });
      latestVersions.set(plan.id, Math.max(plan.version, latestVersions.get(plan.id) ?? plan.version));
    }

    const consumers = new Map<string, CompiledConsumer>();
    const consumersByExternalId = new Map<string, CompiledConsumer>();
    for (const consumer of source.consumers) {
      const anchorMs = Date.parse(consumer.periodAnchor);
      if (Number.isNaN(anchorMs)) {
        issues.push(
          `consumer ${consumer.id} skipped: period anchor "${consumer.periodAnchor}" is not an instant`,
        );
        continue;
      }
      if (!isValidTimeZone(consumer.timeZone)) {
        issues.push(`consumer ${consumer.id} skipped: unknown time zone "${consumer.timeZone}"`);
        continue;
      }
      // A plans service older than plan versions sends no planVersion: take the plan's latest.
      const planVersion =
        typeof consumer.planVersion === 'number' ? consumer.planVersion : latestVersions.get(consumer.planId);
      const plan =
        planVersion === undefined ? undefined : plans.get(snapshotPlanKey(consumer.planId, planVersion));
      if (!plan) {
        issues.push(
          `consumer ${consumer.id}: plan ${consumer.planId} version ${String(planVersion)} is not in the snapshot`,
        );
      }
      const compiled: CompiledConsumer = { record: consumer, plan, anchorMs, window: null };
      consumers.set(consumer.id, compiled);
      const externalId = consumer.externalId;
      if (typeof externalId === 'string' && externalId !== '') {
        if (consumersByExternalId.has(externalId)) {
          issues.push(`consumer ${consumer.id}: external id "${externalId}" is already taken; ignored`);
        } else {
          consumersByExternalId.set(externalId, compiled);
        }
      }
    }

    const keys = new Map<string, CompiledKey>();
    for (const key of source.keys) {
      keys.set(key.hash.toLowerCase(), { record: key, consumer: consumers.get(key.consumerId) });
    }

    const apis: CompiledApi[] = [];
    const prefixes = new Set<string>();
    for (const api of source.apis) {
      try {
        const compiled = compileApi(api, issues, jwks);
        if (prefixes.has(compiled.prefix)) {
          issues.push(`api ${api.id} skipped: path prefix "${api.pathPrefix}" is already taken`);
          continue;
        }
        prefixes.add(compiled.prefix);
        apis.push(compiled);
      } catch (error) {
        issues.push(`api ${api.id} skipped: ${(error as Error).message}`);
      }
    }
    apis.sort((a, b) => b.prefix.length - a.prefix.length);

    this.apis = apis;
    this.plansByKey = plans;
    this.consumersById = consumers;
    this.consumersByExternalId = consumersByExternalId;
    this.keysByHash = keys;
    this.issues = issues;
  }

  /** The API whose prefix is the longest one ending at a segment boundary of `path`. */
  findApi(path: string): CompiledApi | null {
    const apis = this.apis;
    for (let index = 0; index < apis.length; index += 1) {
      const api = apis[index];
      const prefix = api.prefix;
      if (
        path.startsWith(prefix) &&
        (path.length === prefix.length || path.charCodeAt(prefix.length) === 47) /* '/' */
      ) {
        return api;
      }
    }
    return null;
  }

  /** The consumer's current quota window; recomputed only when `now` has left the cached one. */
  quotaWindow(consumer: CompiledConsumer, plan: CompiledPlan, now: number): QuotaWindow {
    const cached = consumer.window;
    if (cached !== null && now >= cached.start && now < cached.end) return cached;
    const period = billingPeriodAt(
      now,
      consumer.anchorMs,
      consumer.record.timeZone,
      plan.record.quota.period,
    );
    const window = {
      start: period.start,
      end: period.end,
      counterKey: quotaCounterKey(consumer.record.id, period.start),
    };
    consumer.window = window;
    return window;
  }
}

/**
 * Holds the gateway's current configuration. `replace()` builds every index first and then swaps
 * one reference, so a request that read `current` sees one consistent snapshot throughout.
 */
export class SnapshotStore {
  private compiled: CompiledSnapshot | null = null;
  /** JWT signing keys of every API, by JWKS URL; outlives each snapshot. */
  readonly jwks: JwksCache;

  constructor(options: { jwks?: JwksCache } = {}) {
    this.jwks = options.jwks ?? new JwksCache();
  }

  /** null until the first snapshot arrives. */
  get current(): CompiledSnapshot | null {
    return this.compiled;
  }

  get version(): string | null {
    return this.compiled?.version ?? null;
  }

  /** Compiles and installs a snapshot; returns it so the caller can report its issues. */
  replace(snapshot: GatewaySnapshot): CompiledSnapshot {
    const compiled = new CompiledSnapshot(snapshot, this.jwks);
    this.compiled = compiled;
    const jwksUrls = new Set<string>();
    for (const api of compiled.apis) if (api.jwt !== null) jwksUrls.add(api.jwt.settings.jwksUrl);
    this.jwks.retain(jwksUrls);
    return compiled;
  }
}
