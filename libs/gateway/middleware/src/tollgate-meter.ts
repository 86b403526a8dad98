import { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { type AccessLogEvent, parseUsageHeader } from '@tollgate/access-log';
import { type Problem } from '@tollgate/errors';
import {
  type AccessLogEmitter,
  admissionRequest,
  appendQuotaHeaders,
  type CompiledApi,
  type CompiledConsumer,
  type CompiledPlan,
  concurrencyLeaseKey,
  extractApiKey,
  extractBearerToken,
  extractQueryParameter,
  gatewayProblem,
  identifyJwtConsumer,
  internalErrorProblem,
  isCounted,
  looksLikeJwt,
  matchRoute,
  parseRequestTarget,
  quotaStanding,
  type RateStanding,
  secondsUntil,
  type SnapshotStore,
  spendCapProblem,
  unmatchedEndpoint,
  writeProblem,
  type QuotaWindow,
} from '@tollgate/gateway-data-plane';
import { quotaCeiling, refusedBySpendCap } from '@tollgate/gateway-enforcement';
import { hashApiKey, uuidv7 } from '@tollgate/ids';
import { type Logger } from '@tollgate/observability';
import { type AdmitDecision, type Counters } from '@tollgate/ports';

export interface TollgateMeterOptions {
  /** The snapshot store the meter reads keys, consumers and plans from. */
  snapshots?: SnapshotStore;
  /** Alternatively a snapshot source (e.g. HttpSnapshotSource) exposing its store. */
  snapshotSource?: { readonly store: SnapshotStore };
  counters: Counters;
  accessLog: AccessLogEmitter;
  logger: Logger;
  /** The metered API, by id ... */
  apiId?: string;
  /** ... or by its configured path prefix. One of the two is required. */
  pathPrefix?: string;
  /** Where 403/429 problems send a consumer to change plan. */
  upgradeUrl?: string;
  /** Lifetime of a concurrency lease (default 60 s). */
  concurrencyLeaseMs?: number;
  /** Epoch ms; injectable for tests. */
  now?: () => number;
}

/** The response header a handler sets to report business units; stripped before it goes out. */
export const USAGE_HEADER = 'tollgate-usage';

const DAY_MS = 86_400_000;
const kMetered = Symbol('tollgate.metered');
const unauthenticatedHeaders = ['www-authenticate', 'Bearer realm="tollgate"'];

interface MeteredCarrier {
  [kMetered]?: MeteredRequest;
}

/** What the meter knows about a request of an identified consumer. */
interface MeteredRequest {
  readonly eventId: string;
  readonly startedAt: number;
  readonly startTick: number;
  readonly api: CompiledApi;
  readonly consumer: CompiledConsumer;
  endpoint: string;
  costWeight: number;
  plan: CompiledPlan | null;
  window: QuotaWindow | null;
  charged: boolean;
  leaseKey: string | null;
  overage: boolean;
  /** The meter itself answered (401/403/429/503): the provider's handler never ran. */
  rejected: boolean;
  responseBytes: number;
  usage: Record<string, number>;
  finished: boolean;
}

/**
 * Reports business units for the access-log event from inside a handler, as an alternative to the
 * `Tollgate-Usage` response header. Units add up when reported more than once.
 */
export function reportUsage(request: IncomingMessage, usage: Readonly<Record<string, number>>): void {
  const metered = (request as IncomingMessage & MeteredCarrier)[kMetered];
  if (metered === undefined) return;
  const merged = { ...metered.usage };
  for (const [name, value] of Object.entries(usage)) merged[name] = (merged[name] ?? 0) + value;
  metered.usage = merged;
}

function headerToString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? value.join(', ') : String(value);
}

/**
 * The gateway's identify → enforce → count → refund → emit steps for a provider's own Node server.
 * `handle` decides before the provider's handler runs and meters the response after it.
 */
export class TollgateMeter {
  private readonly snapshots: SnapshotStore;
  private readonly counters: Counters;
  private readonly accessLog: AccessLogEmitter;
  private readonly logger: Logger;
  private readonly apiId: string | undefined;
  private readonly pathPrefix: string | undefined;
  private readonly upgradeUrl: string;
  private readonly concurrencyLeaseMs: number;
  private readonly now: () => number;
  private pending = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(options: TollgateMeterOptions) {
    const store = options.snapshots ?? options.snapshotSource?.store;
    if (store === undefined) throw new Error('createTollgateMeter needs snapshots or snapshotSource');
    if (options.apiId === undefined && options.pathPrefix === undefined) {
      throw new Error('createTollgateMeter needs apiId or pathPrefix');
    }
    this.snapshots = store;
    this.counters = options.counters;
    this.accessLog = options.accessLog;
    this.logger = options.logger;
    this.apiId = options.apiId;
    this.pathPrefix = options.pathPrefix?.replace(/\/$/, '');
    this.upgradeUrl = options.upgradeUrl ?? '/portal/plans';
    this.concurrencyLeaseMs = options.concurrencyLeaseMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Meters one request: answers 401/403/429/503 itself, or calls `next()` once the plan admitted it.
   * The access-log event is emitted when the response closes (or from `finish`, whichever is first).
   */
  handle(request: IncomingMessage, response: ServerResponse, next: () => void): void {
    this.begin(request, response)
      .then((admitted) => {
        if (admitted) next();
      })
      .catch((error: unknown) => {
        // An unexpected failure of the meter, or one thrown synchronously by next(): one log, one 500.
        this.logger.error({ err: error }, 'tollgate meter failed');
        if (!response.headersSent) writeProblem(response, internalErrorProblem(), uuidv7());
      });
  }

  /** Resolves true when the request may go on to the provider's handler; false when answered. */
  async begin(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const startedAt = this.now();
    const startTick = performance.now();
    const eventId = uuidv7();
    const reject = (problem: Problem, headers?: readonly string[]): false => {
      writeProblem(response, { ...problem, requestId: eventId }, eventId, headers);
      return false;
    };
    const snapshot = this.snapshots.current;
    const api = snapshot === null ? null : this.findApi(snapshot.apis);
    if (snapshot === null || api === null) {
      return reject(
        gatewayProblem('dependency_unavailable', 'Metering has no configuration for this API yet'),
      );
    }
    // Express rewrites req.url under a mount path; the original URL is what the routes describe.
    const url = (request as IncomingMessage & { originalUrl?: string }).originalUrl ?? request.url ?? '/';
    const target = parseRequestTarget(url);
    let secret = extractApiKey(request.rawHeaders);
    if (secret === null && api.keyInQuery !== null && target !== null) {
      secret = extractQueryParameter(target.query, api.keyInQuery);
    }
    if (secret === null) {
      return reject(
        gatewayProblem(
          'unauthenticated',
          'An API key is required: send Authorization: Bearer <key> or X-API-Key',
        ),
        unauthenticatedHeaders,
      );
    }
    let consumer: CompiledConsumer;
    if (api.jwt !== null && looksLikeJwt(secret) && extractBearerToken(request.rawHeaders) === secret) {
      const identification = await identifyJwtConsumer(snapshot, api, secret, this.now());
      if (identification.consumer === null) {
        if (identification.keysUnavailable !== null) {
          this.logger.warn({ reason: identification.keysUnavailable }, 'JWT signing keys unavailable');
        }
        return reject(identification.problem, identification.headers);
      }
      consumer = identification.consumer;
    } else {
      const key = snapshot.keysByHash.get(hashApiKey(secret));
      if (key === undefined || key.consumer === undefined) {
        return reject(gatewayProblem('unauthenticated', 'The API key is not valid'), unauthenticatedHeaders);
      }
      if (key.record.expiresAt !== null && key.record.expiresAt <= startedAt) {
        return reject(gatewayProblem('unauthenticated', 'The API key has expired'), unauthenticatedHeaders);
      }
      consumer = key.consumer;
    }
    const path = target?.path ?? '/';
    const rest = api.prefix !== '' && path.startsWith(api.prefix) ? path.slice(api.prefix.length) : path;
    const method = request.method ?? 'GET';
    const route = matchRoute(api.routes, method, rest === '' ? '/' : rest);
    const metered: MeteredRequest = {
      eventId,
      startedAt,
      startTick,
      api,
      consumer,
      endpoint: route?.endpoint ?? unmatchedEndpoint(method),
      costWeight: route?.costWeight ?? 1,
      plan: null,
      window: null,
      charged: false,
      leaseKey: null,
      overage: false,
      rejected: true,
      responseBytes: 0,
      usage: {},
      finished: false,
    };
    // Identified: from here on the request yields exactly one access-log event.
    this.track(request, response, metered);

    if (consumer.record.status === 'suspended') {
      const reason = consumer.record.suspendedReason;
      return reject(
        gatewayProblem(
          'forbidden',
          reason ? `The consumer is suspended: ${reason}` : 'The consumer is suspended',
          {
            reason,
          },
        ),
      );
    }
    const plan = consumer.plan;
    if (plan === undefined) {
      return reject(gatewayProblem('dependency_unavailable', "The consumer's plan is not configured"));
    }
    metered.plan = plan;
    if (plan.allowedEndpoints !== null && !plan.allowedEndpoints.has(metered.endpoint)) {
      return reject(
        gatewayProblem('forbidden', `The ${plan.record.name} plan does not include ${metered.endpoint}`, {
          endpoint: metered.endpoint,
          upgradeUrl: this.upgradeUrl,
        }),
      );
    }

    const window = snapshot.quotaWindow(consumer, plan, startedAt);
    const limit = plan.record.quota.limit;
    const rateLimit = plan.record.rateLimit;
    let decision: AdmitDecision;
    try {
      decision = await this.counters.admit(
        admissionRequest({
          consumer,
          plan,
          window,
          cost: metered.costWeight,
          leaseId: eventId,
          leaseMs: this.concurrencyLeaseMs,
        }),
      );
    } catch (error) {
      this.logger.warn({ err: error }, 'quota counters unavailable: refusing requests');
      return reject(gatewayProblem('dependency_unavailable', 'Quota counters are unavailable'), [
        'retry-after',
        '1',
      ]);
    }
    metered.window = window;
    const rate: RateStanding | null =
      rateLimit === null
        ? null
        : {
            perSecond: rateLimit.perSecond,
            burst: rateLimit.burst,
            remaining: decision.rateRemaining,
            resetMs: decision.rateResetMs,
          };
    const headers: string[] = [];
    const limitHeaders = (): string[] =>
      appendQuotaHeaders(headers, quotaStanding(limit, decision.quotaUsed, window, startedAt), rate);
    if (decision.refusedBy === 'concurrency') {
      headers.push('retry-after', '1');
      return reject(
        gatewayProblem(
          'limit_exceeded',
          `At most ${plan.record.concurrency ?? 0} requests may be in flight at once on this plan`,
          {
            limit: 'concurrency',
            resetsAt: new Date(startedAt + 1000).toISOString(),
            upgradeUrl: this.upgradeUrl,
          },
        ),
        limitHeaders(),
      );
    }
    if (decision.refusedBy === 'rate') {
      headers.push('retry-after', String(Math.max(1, Math.ceil(decision.rateRetryAfterMs / 1000))));
      return reject(
        gatewayProblem(
          'limit_exceeded',
          `Rate limit of ${rateLimit?.perSecond ?? 0} requests per second exceeded`,
          {
            limit: 'rate',
            resetsAt: new Date(startedAt + decision.rateRetryAfterMs).toISOString(),
            upgradeUrl: this.upgradeUrl,
          },
        ),
        limitHeaders(),
      );
    }
    if (!decision.admitted) {
      headers.push('retry-after', String(secondsUntil(window.end, startedAt)));
      const spendCap = consumer.record.spendCap;
      if (refusedBySpendCap(quotaCeiling(limit, plan.record.overageBufferPercent), spendCap) && spendCap) {
        return reject(
          spendCapProblem(spendCap, new Date(window.end).toISOString(), this.upgradeUrl),
          limitHeaders(),
        );
      }
      return reject(
        gatewayProblem('limit_exceeded', `Quota of ${limit} requests used up`, {
          limit: 'quota',
          resetsAt: new Date(window.end).toISOString(),
          upgradeUrl: this.upgradeUrl,
        }),
        limitHeaders(),
      );
    }
    metered.charged = true;
    metered.rejected = false;
    metered.overage = decision.quotaUsed > limit;
    if (plan.record.concurrency !== null) metered.leaseKey = concurrencyLeaseKey(consumer.record.id);
    if (metered.finished) {
      // The client left while the counters were updated: nothing is served, so nothing is charged.
      this.settle(metered, false);
      return false;
    }
    const admittedHeaders = limitHeaders();
    for (let index = 0; index < admittedHeaders.length; index += 2) {
      response.setHeader(admittedHeaders[index], admittedHeaders[index + 1]);
    }
    response.setHeader('x-request-id', eventId);
    return true;
  }

  /**
   * Ends the metering of a request: counting policy, refund, lease release and the one event.
   * Idempotent; called on the response's `close` and by adapters that know the response is done.
   */
  finish(request: IncomingMessage, response: ServerResponse): void {
    // Before the response is complete only `close` can tell a finished exchange from a client that left.
    if (response.writableFinished) this.complete(request, response);
  }

  /** Logs an error of the provider's handler once, through the meter's logger. */
  logError(error: unknown): void {
    this.logger.error({ err: error }, 'request handler failed');
  }

  /** Resolves when no refund or lease release is in flight. */
  whenIdle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private findApi(apis: readonly CompiledApi[]): CompiledApi | null {
    for (const api of apis) {
      if (this.apiId !== undefined ? api.record.id === this.apiId : api.prefix === this.pathPrefix)
        return api;
    }
    return null;
  }

  private settle(metered: MeteredRequest, counted: boolean): void {
    if (metered.charged && !counted && metered.window !== null) {
      const window = metered.window;
      this.background(
        this.counters.increment(window.counterKey, -metered.costWeight, window.end + DAY_MS),
        'quota refund failed',
      );
    }
    if (metered.leaseKey !== null) {
      this.background(
        this.counters.releaseLease(metered.leaseKey, metered.eventId),
        'concurrency lease release failed',
      );
    }
  }

  private background(work: Promise<unknown>, failure: string): void {
    this.pending += 1;
    work
      .catch((error: unknown) => this.logger.error({ err: error }, failure))
      .finally(() => {
        this.pending -= 1;
        if (this.pending === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const resolve of waiters) resolve();
        }
      });
  }

  /** Hooks the response: usage header capture and strip, byte count, and the final event on close. */
  private track(request: IncomingMessage, response: ServerResponse, metered: MeteredRequest): void {
    (request as IncomingMessage & MeteredCarrier)[kMetered] = metered;
    const takeUsage = (value: unknown): void => {
      const text = headerToString(value);
      if (text === undefined) return;
      const parsed = parseUsageHeader(text);
      reportUsage(request, parsed);
    };
    const originalWriteHead = response.writeHead;
    // Every path to the wire goes through writeHead (Node's implicit header calls it too), so this
    // is the one place the usage header can be read and removed before the client sees it.
    response.writeHead = function writeHead(this: ServerResponse, ...args: unknown[]): ServerResponse {
      takeUsage(this.getHeader(USAGE_HEADER));
      this.removeHeader(USAGE_HEADER);
      const last = args.length - 1;
      const headers = args[last];
      if (last >= 1 && Array.isArray(headers)) {
        const kept: unknown[] = [];
        for (let index = 0; index < headers.length; index += 2) {
          if (String(headers[index]).toLowerCase() === USAGE_HEADER) takeUsage(headers[index + 1]);
          else kept.push(headers[index], headers[index + 1]);
        }
        args[last] = kept;
      } else if (last >= 1 && headers !== null && typeof headers === 'object') {
        const kept: OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(headers as OutgoingHttpHeaders)) {
          if (name.toLowerCase() === USAGE_HEADER) takeUsage(value);
          else kept[name] = value;
        }
        args[last] = kept;
      }
      return (originalWriteHead as (...values: unknown[]) => ServerResponse).apply(this, args);
    } as typeof response.writeHead;
    const originalWrite = response.write;
    response.write = function write(this: ServerResponse, chunk: unknown, ...rest: unknown[]): boolean {
      metered.responseBytes += byteLength(chunk);
      return (originalWrite as (...values: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof response.write;
    const originalEnd = response.end;
    response.end = function end(this: ServerResponse, chunk?: unknown, ...rest: unknown[]): ServerResponse {
      if (typeof chunk !== 'function') metered.responseBytes += byteLength(chunk);
      return (originalEnd as (...values: unknown[]) => ServerResponse).call(this, chunk, ...rest);
    } as typeof response.end;
    response.once('close', () => this.complete(request, response));
  }

  private complete(request: IncomingMessage, response: ServerResponse): void {
    const metered = (request as IncomingMessage & MeteredCarrier)[kMetered];
    if (metered === undefined || metered.finished) return;
    metered.finished = true;
    // A charge still being decided when the client left is settled by begin() once it is in.
    const status = response.headersSent ? response.statusCode : 499;
    const plan = metered.plan;
    const counted = metered.charged && plan !== null && isCounted(status, plan.record.countPolicy, false);
    this.settle(metered, counted);
    this.accessLog.emit(this.event(request, metered, status, counted));
  }

  private event(
    request: IncomingMessage,
    metered: MeteredRequest,
    status: number,
    counted: boolean,
  ): AccessLogEvent {
    const length = Number(request.headers['content-length'] ?? 0);
    return {
      id: metered.eventId,
      ts: metered.startedAt,
      consumerId: metered.consumer.record.id,
      planId: metered.consumer.record.planId,
      apiId: metered.api.record.id,
      endpoint: metered.endpoint,
      method: request.method ?? 'GET',
      status,
      requestBytes: Number.isFinite(length) ? length : 0,
      responseBytes: request.method === 'HEAD' ? 0 : metered.responseBytes,
      latencyMs: Math.round((performance.now() - metered.startTick) * 1000) / 1000,
      upstreamLatencyMs: 0,
      cached: false,
      counted,
      ...(metered.overage ? { overage: true } : {}),
      usage: metered.usage,
    };
  }
}

function byteLength(chunk: unknown): number {
  if (chunk === undefined || chunk === null || typeof chunk === 'function') return 0;
  if (typeof chunk === 'string') return Buffer.byteLength(chunk);
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}

export function createTollgateMeter(options: TollgateMeterOptions): TollgateMeter {
  return new TollgateMeter(options);
}
