import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { type TLSSocket } from 'node:tls';
import { type Registry } from 'prom-client';
import { type Dispatcher } from 'undici';
import { type AccessLogEvent, crossedThresholds, parseUsageHeader } from '@tollgate/access-log';
import { type Problem } from '@tollgate/errors';
import { quotaCeiling, refusedBySpendCap } from '@tollgate/gateway-enforcement';
import { hashApiKey, uuidv7 } from '@tollgate/ids';
import { type Logger } from '@tollgate/observability';
import { type AdmitDecision, type Counters } from '@tollgate/ports';
import { type AccessLogEmitter } from './access-log-emitter';
import { admissionRequest, concurrencyLeaseKey } from './admission-request';
import {
  extractApiKey,
  extractBearerToken,
  extractQueryParameter,
  withoutQueryParameter,
} from './api-key-extraction';
import { isCounted } from './counting-policy';
import { GatewayMetrics, type RequestOutcome, registerAccessLogEmitterMetrics } from './gateway-metrics';
import { gatewayProblem, internalErrorProblem, spendCapProblem, writeProblem } from './gateway-problems';
import { identifyJwtConsumer } from './jwt-identification';
import { looksLikeJwt } from './jwt-verifier';
import { clientResponseHeaders, upstreamRequestHeaders } from './proxy-headers';
import { appendQuotaHeaders, quotaStanding, type RateStanding, secondsUntil } from './rate-limit-headers';
import { hasDotSegment, parseRequestTarget } from './request-target';
import { matchRoute, unmatchedEndpoint } from './route-matcher';
import {
  type CompiledApi,
  type CompiledConsumer,
  type CompiledPlan,
  type CompiledSnapshot,
  type QuotaWindow,
  type SnapshotStore,
} from './snapshot-store';
import { type QuotaEventSink } from './quota-event-publisher';
import { UpstreamPools } from './upstream-pools';

export interface GatewayDependencies {
  snapshots: SnapshotStore;
  counters: Counters;
  accessLog: AccessLogEmitter;
  logger: Logger;
  /** Upstream response timeout, for the headers and between body chunks; on expiry: 504. */
  upstreamTimeoutMs: number;
  /** Epoch ms; injectable for tests. Durations use the monotonic clock regardless. */
  now?: () => number;
  /** Prometheus registry for the data-plane series (optional). */
  registry?: Registry;
  /** Upstream connect timeout (default: the smaller of upstreamTimeoutMs and 10 s); on expiry: 502. */
  connectTimeoutMs?: number;
  /** Where 403/429 problems send a consumer to change plan. */
  upgradeUrl?: string;
  /**
   * Lifetime of a concurrency lease (default: 60 s or 4 × upstreamTimeoutMs, whichever is longer).
   * A node that dies without releasing its leases gives them back when they lapse.
   */
  concurrencyLeaseMs?: number;
  /** Where quota threshold events go (the billing worker's alerts); none when absent. */
  quotaEvents?: QuotaEventSink;
}

/** A `(request, response)` listener for `http.createServer`, with what a graceful shutdown needs. */
export interface GatewayHandler {
  (request: IncomingMessage, response: ServerResponse): void;
  /** Requests received and not finished yet. */
  readonly activeRequests: number;
  /** Resolves when no request is in flight and no quota refund is pending. */
  whenIdle(): Promise<void>;
  /** Closes the upstream connection pools (after their requests finish). */
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;
const noUsage: Readonly<Record<string, number>> = Object.freeze({});
const unauthenticatedHeaders = ['www-authenticate', 'Bearer realm="tollgate"'];
const requestIdPattern = /^[\x21-\x7e]{1,128}$/;
const warnEveryMs = 10_000;

const kExchange = Symbol('tollgate.exchange');
interface ExchangeCarrier {
  [kExchange]?: Exchange;
}

// Listeners shared by every request: they find their exchange on the emitter instead of closing
// over it, so a request allocates no listener functions.
function onResponseClose(this: ServerResponse & ExchangeCarrier): void {
  this[kExchange]?.finish();
}

function onResponseDrain(this: ServerResponse & ExchangeCarrier): void {
  this[kExchange]?.resumeUpstream();
}

function onRequestData(this: IncomingMessage & ExchangeCarrier, chunk: Buffer): void {
  const exchange = this[kExchange];
  if (exchange !== undefined) exchange.requestBytes += chunk.length;
}

function readRequestId(rawHeaders: readonly string[]): string | null {
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index];
    if (name.length === 12 && name.toLowerCase() === 'x-request-id') {
      const value = rawHeaders[index + 1];
      return requestIdPattern.test(value) ? value : null;
    }
  }
  return null;
}

/** Whether Node's parser will deliver a body: a non-zero Content-Length or any Transfer-Encoding. */
function requestHasBody(rawHeaders: readonly string[]): boolean {
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index];
    if (name.length === 14 && name.toLowerCase() === 'content-length') {
      if (rawHeaders[index + 1].trim() !== '0') return true;
    } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
      return true;
    }
  }
  return false;
}

function isTimeout(error: Error): boolean {
  const code = (error as Error & { code?: string }).code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

function errorCode(error: Error): string | undefined {
  return (error as Error & { code?: string }).code;
}

/** State shared by all requests of one handler. */
class GatewayPipeline {
  readonly snapshots: SnapshotStore;
  readonly counters: Counters;
  readonly accessLog: AccessLogEmitter;
  readonly logger: Logger;
  readonly upstreamTimeoutMs: number;
  readonly now: () => number;
  readonly metrics: GatewayMetrics | null;
  readonly pools: UpstreamPools;
  readonly upgradeUrl: string;
  readonly concurrencyLeaseMs: number;
  readonly quotaEvents: QuotaEventSink | null;

  active = 0;
  private pendingRefunds = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly lastWarnings = new Map<string, number>();

  constructor(deps: GatewayDependencies) {
    this.snapshots = deps.snapshots;
    this.counters = deps.counters;
    this.accessLog = deps.accessLog;
    this.logger = deps.logger;
    this.upstreamTimeoutMs = deps.upstreamTimeoutMs;
    this.now = deps.now ?? Date.now;
    this.upgradeUrl = deps.upgradeUrl ?? '/portal/plans';
    this.concurrencyLeaseMs = deps.concurrencyLeaseMs ?? Math.max(60_000, 4 * deps.upstreamTimeoutMs);
    this.quotaEvents = deps.quotaEvents ?? null;
    this.pools = new UpstreamPools({
      connectTimeoutMs: deps.connectTimeoutMs ?? Math.min(deps.upstreamTimeoutMs, 10_000),
    });
    if (deps.registry !== undefined) {
      this.metrics = new GatewayMetrics(deps.registry);
      registerAccessLogEmitterMetrics(deps.registry, deps.accessLog);
    } else {
      this.metrics = null;
    }
  }

  handle(request: IncomingMessage, response: ServerResponse): void {
    const exchange = new Exchange(this, request, response);
    this.active += 1;
    (response as ServerResponse & ExchangeCarrier)[kExchange] = exchange;
    (request as IncomingMessage & ExchangeCarrier)[kExchange] = exchange;
    response.on('close', onResponseClose);
    try {
      exchange.start();
    } catch (error) {
      exchange.fail(error);
    }
  }

  exchangeDone(): void {
    this.active -= 1;
    this.notifyIfIdle();
  }

  /** Gives units back to the quota counter; awaited by whenIdle() so shutdown does not lose it. */
  refund(window: QuotaWindow, amount: number): void {
    if (amount === 0) return;
    this.pendingRefunds += 1;
    this.counters
      .increment(window.counterKey, -amount, window.end + DAY_MS)
      .catch((error: unknown) => {
        // The consumer is over-charged by `amount` until reconciliation notices the drift.
        this.logger.error({ err: error, counterKey: window.counterKey, amount }, 'quota refund failed');
      })
      .finally(() => {
        this.pendingRefunds -= 1;
        this.notifyIfIdle();
      });
  }

  /** Gives a concurrency lease back; awaited by whenIdle() like a refund. */
  releaseLease(key: string, leaseId: string): void {
    this.pendingRefunds += 1;
    this.counters
      .releaseLease(key, leaseId)
      .catch((error: unknown) => {
        // The slot stays taken until the lease lapses on its own.
        this.logger.warn({ err: error, key }, 'concurrency lease release failed');
      })
      .finally(() => {
        this.pendingRefunds -= 1;
        this.notifyIfIdle();
      });
  }

  /** A warning at most every 10 s per kind, so an outage does not log once per request. */
  warnThrottled(kind: string, details: Record<string, unknown>, message: string): void {
    const now = Date.now();
    const last = this.lastWarnings.get(kind);
    if (last !== undefined && now - last < warnEveryMs) return;
    this.lastWarnings.set(kind, now);
    this.logger.warn(details, message);
  }

  whenIdle(): Promise<void> {
    if (this.active === 0 && this.pendingRefunds === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIfIdle(): void {
    if (this.active !== 0 || this.pendingRefunds !== 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** One request through the gateway; it is also the undici dispatch handler of its upstream call. */
class Exchange implements Dispatcher.DispatchHandler {
  private readonly startedAt: number;
  private readonly startTick: number;
  private readonly requestId: string;
  private readonly eventId: string;

  private api: CompiledApi | null = null;
  private consumer: CompiledConsumer | null = null;
  private plan: CompiledPlan | null = null;
  private endpoint = '';
  private costWeight = 1;
  private forwardPath = '';
  private window: QuotaWindow | null = null;
  private used = 0;
  private rate: RateStanding | null = null;
  private charged = false;
  /** The concurrency-lease set this request holds a lease in (its id is the event id), if any. */
  private leaseKey: string | null = null;
  /** Admitted past the quota, inside the plan's overage buffer. */
  private overage = false;

  private status = 0;
  private outcome: RequestOutcome = 'internal_error';
  /** The gateway produced the failure (502/504/500): never counted. */
  private failedInGateway = false;
  /** Request-body bytes handed to the upstream; counted by the shared `data` listener. */
  requestBytes = 0;
  private responseBytes = 0;
  private upstreamStartTick = 0;
  private upstreamLatencyMs = 0;
  private usage: Record<string, number> = noUsage;

  private hasBody = false;
  private countingBody = false;
  private listeningForDrain = false;
  private controller: Dispatcher.DispatchController | null = null;
  private closed = false;

  constructor(
    private readonly pipeline: GatewayPipeline,
    private readonly request: IncomingMessage,
    private readonly response: ServerResponse,
  ) {
    this.startedAt = pipeline.now();
    this.startTick = performance.now();
    const given = readRequestId(request.rawHeaders);
    if (given === null) {
      this.requestId = uuidv7();
      this.eventId = this.requestId; // ours, so unique: it doubles as the event id
    } else {
      this.requestId = given;
      this.eventId = uuidv7();
    }
  }

  /** Routing, identification and the plan checks: everything decided from the snapshot alone. */
  start(): void {
    const request = this.request;
    const target = parseRequestTarget(request.url ?? '/');
    if (target === null || hasDotSegment(target.path)) {
      this.reject(
        gatewayProblem('validation_failed', 'The request path must be absolute and free of dot segments'),
        'bad_request',
      );
      return;
    }
    const snapshot = this.pipeline.snapshots.current;
    if (snapshot === null) {
      this.reject(
        gatewayProblem('dependency_unavailable', 'The gateway has no configuration yet'),
        'internal_error',
      );
      return;
    }
    const path = target.path;
    const api = snapshot.findApi(path);
    if (api === null) {
      this.reject(gatewayProblem('not_found', `No API is served under ${path}`), 'no_api');
      return;
    }
    this.api = api;

    let query = target.query;
    let secret = extractApiKey(request.rawHeaders);
    const keyInQuery = api.keyInQuery;
    if (keyInQuery !== null && query.length > 1) {
      // Only where the API allows it; the parameter never reaches the upstream.
      if (secret === null) secret = extractQueryParameter(query, keyInQuery);
      query = withoutQueryParameter(query, keyInQuery);
    }
    if (secret === null) {
      this.reject(
        gatewayProblem(
          'unauthenticated',
          'An API key is required: send Authorization: Bearer <key> or X-API-Key',
        ),
        'unauthenticated',
        unauthenticatedHeaders,
      );
      return;
    }
    if (api.jwt !== null && looksLikeJwt(secret) && extractBearerToken(request.rawHeaders) === secret) {
      void this.identifyByJwt(snapshot, api, path, query, secret);
      return;
    }
    const key = snapshot.keysByHash.get(hashApiKey(secret));
    if (key === undefined || key.consumer === undefined) {
      this.reject(
        gatewayProblem('unauthenticated', 'The API key is not valid'),
        'unauthenticated',
        unauthenticatedHeaders,
      );
      return;
    }
    if (key.record.expiresAt !== null && key.record.expiresAt <= this.startedAt) {
      this.reject(
        gatewayProblem('unauthenticated', 'The API key has expired'),
        'unauthenticated',
        unauthenticatedHeaders,
      );
      return;
    }
    this.identified(snapshot, api, path, query, key.consumer);
  }

  /** A JWT bearer token: verifying it may fetch the issuer's keys, so this path alone is async. */
  private async identifyByJwt(
    snapshot: CompiledSnapshot,
    api: CompiledApi,
    path: string,
    query: string,
    token: string,
  ): Promise<void> {
    try {
      const identification = await identifyJwtConsumer(snapshot, api, token, this.pipeline.now());
      if (this.closed) return; // the client left while the token was checked: nothing to answer
      if (identification.consumer === null) {
        if (identification.keysUnavailable !== null) {
          this.pipeline.warnThrottled(
            'jwks',
            { apiId: api.record.id, reason: identification.keysUnavailable },
            'JWT signing keys unavailable: refusing bearer tokens',
          );
        }
        this.reject(
          identification.problem,
          identification.problem.status === 401 ? 'unauthenticated' : 'internal_error',
          identification.headers,
        );
        return;
      }
      this.identified(snapshot, api, path, query, identification.consumer);
    } catch (error) {
      this.fail(error);
    }
  }

  /** After identification: the route within the API, the consumer's state and the plan checks. */
  private identified(
    snapshot: CompiledSnapshot,
    api: CompiledApi,
    path: string,
    query: string,
    consumer: CompiledConsumer,
  ): void {
    this.consumer = consumer; // identified: from here on the request yields an access-log event

    const request = this.request;
    const method = request.method ?? 'GET';
    const rest = path.slice(api.prefix.length);
    const route = matchRoute(api.routes, method, rest === '' ? '/' : rest);
    if (route !== null) {
      this.endpoint = route.endpoint;
      this.costWeight = route.costWeight;
    } else {
      this.endpoint = unmatchedEndpoint(method);
    }
    const forwardPath = api.basePath + (api.record.stripPrefix ? rest : path);
    this.forwardPath = (forwardPath === '' ? '/' : forwardPath) + query;

    if (consumer.record.status === 'suspended') {
      const reason = consumer.record.suspendedReason;
      this.reject(
        gatewayProblem(
          'forbidden',
          reason ? `The consumer is suspended: ${reason}` : 'The consumer is suspended',
          {
            reason,
          },
        ),
        'suspended',
      );
      return;
    }
    const plan = consumer.plan;
    if (plan === undefined) {
      // Reported when the snapshot was loaded; not logged per request.
      this.reject(
        gatewayProblem('dependency_unavailable', "The consumer's plan is not configured"),
        'internal_error',
      );
      return;
    }
    this.plan = plan;
    if (plan.allowedEndpoints !== null && !plan.allowedEndpoints.has(this.endpoint)) {
      this.reject(
        gatewayProblem('forbidden', `The ${plan.record.name} plan does not include ${this.endpoint}`, {
          endpoint: this.endpoint,
          upgradeUrl: this.pipeline.upgradeUrl,
        }),
        'endpoint_forbidden',
      );
      return;
    }
    void this.admit(snapshot, consumer, plan);
  }

  /** The period-quota decision, then the upstream call. */
  private async admit(
    snapshot: CompiledSnapshot,
    consumer: CompiledConsumer,
    plan: CompiledPlan,
  ): Promise<void> {
    try {
      const window = snapshot.quotaWindow(consumer, plan, this.startedAt);
      const limit = plan.record.quota.limit;
      const rateLimit = plan.record.rateLimit;
      let decision: AdmitDecision;
      try {
        // Rate and quota in one atomic step: a request refused by either takes from neither.
        decision = await this.pipeline.counters.admit(
          admissionRequest({
            consumer,
            plan,
            window,
            cost: this.costWeight,
            leaseId: this.eventId,
            leaseMs: this.pipeline.concurrencyLeaseMs,
          }),
        );
      } catch (error) {
        this.pipeline.warnThrottled(
          'counters',
          { err: error },
          'quota counters unavailable: refusing requests',
        );
        if (!this.closed) {
          this.reject(
            gatewayProblem('dependency_unavailable', 'Quota counters are unavailable'),
            'counters_unavailable',
            ['retry-after', '1'],
          );
        }
        return;
      }
      if (this.closed) {
        // The client left while the counter was updated: nothing was served, so nothing is charged.
        if (decision.admitted) {
          this.pipeline.refund(window, this.costWeight);
          if (plan.record.concurrency !== null) {
            this.pipeline.releaseLease(concurrencyLeaseKey(consumer.record.id), this.eventId);
          }
        }
        return;
      }
      if (decision.local === true) {
        this.pipeline.metrics?.countLocalDecision();
        this.pipeline.warnThrottled(
          'counters-local',
          { planId: plan.record.id },
          'quota counters unavailable: deciding locally for plans that fail open',
        );
      }
      this.window = window;
      this.used = decision.quotaUsed;
      this.rate =
        rateLimit === null
          ? null
          : {
              perSecond: rateLimit.perSecond,
              burst: rateLimit.burst,
              remaining: decision.rateRemaining,
              resetMs: decision.rateResetMs,
            };
      if (decision.refusedBy === 'concurrency') {
        this.rejectConcurrency(window, limit, plan.record.concurrency ?? 0);
        return;
      }
      if (decision.refusedBy === 'rate') {
        this.rejectRate(window, limit, decision.rateRetryAfterMs);
        return;
      }
      if (!decision.admitted) {
        const ceiling = quotaCeiling(limit, plan.record.overageBufferPercent);
        if (refusedBySpendCap(ceiling, consumer.record.spendCap)) {
          this.rejectSpendCap(window, limit);
        } else {
          this.rejectQuota(window, limit, ceiling, plan.record.quota.period);
        }
        return;
      }
      this.charged = true;
      if (plan.record.concurrency !== null) this.leaseKey = concurrencyLeaseKey(consumer.record.id);
      this.overage = decision.quotaUsed > limit;
      const thresholds = plan.record.alertThresholds;
      if (this.pipeline.quotaEvents !== null && thresholds !== undefined && thresholds.length > 0) {
        this.publishCrossings(consumer, plan, window, thresholds, decision.quotaUsed);
      }
      this.proxy();
    } catch (error) {
      this.fail(error);
    }
  }

  /** The plan's alert thresholds this request's units reached (each is reached by exactly one request). */
  private publishCrossings(
    consumer: CompiledConsumer,
    plan: CompiledPlan,
    window: QuotaWindow,
    thresholds: readonly number[],
    used: number,
  ): void {
    const limit = plan.record.quota.limit;
    const crossed = crossedThresholds(limit, thresholds, used - this.costWeight, used);
    for (const threshold of crossed) {
      this.pipeline.quotaEvents?.publish({
        type: 'quota.threshold_crossed',
        ts: this.startedAt,
        consumerId: consumer.record.id,
        planId: plan.record.id,
        periodStart: window.start,
        periodEnd: window.end,
        threshold,
        limit,
        used,
      });
    }
  }

  private rejectConcurrency(window: QuotaWindow, limit: number, concurrency: number): void {
    const headers = ['retry-after', '1'];
    appendQuotaHeaders(headers, quotaStanding(limit, this.used, window, this.startedAt), this.rate);
    this.reject(
      gatewayProblem(
        'limit_exceeded',
        `At most ${concurrency} requests may be in flight at once on this plan`,
        {
          limit: 'concurrency',
          resetsAt: new Date(this.startedAt + 1000).toISOString(),
          upgradeUrl: this.pipeline.upgradeUrl,
        },
      ),
      'concurrency_limited',
      headers,
    );
  }

  private rejectRate(window: QuotaWindow, limit: number, retryAfterMs: number): void {
    const now = this.startedAt;
    const retryAfter = Math.max(1, Math.ceil(retryAfterMs / 1000));
    const headers = ['retry-after', String(retryAfter)];
    appendQuotaHeaders(headers, quotaStanding(limit, this.used, window, now), this.rate);
    const rate = this.rate as RateStanding;
    this.reject(
      gatewayProblem(
        'limit_exceeded',
        `Rate limit of ${rate.perSecond} requests per second (burst ${rate.burst}) exceeded`,
        {
          limit: 'rate',
          resetsAt: new Date(now + retryAfterMs).toISOString(),
          upgradeUrl: this.pipeline.upgradeUrl,
        },
      ),
      'rate_limited',
      headers,
    );
  }

  private rejectQuota(window: QuotaWindow, limit: number, ceiling: number, period: 'month' | 'day'): void {
    const now = this.startedAt;
    const consumer = this.consumer as CompiledConsumer;
    const plan = this.plan as CompiledPlan;
    this.pipeline.quotaEvents?.publish({
      type: 'quota.exhausted',
      ts: now,
      consumerId: consumer.record.id,
      planId: plan.record.id,
      periodStart: window.start,
      periodEnd: window.end,
      threshold: limit > 0 ? Math.max(1, Math.round((ceiling * 100) / limit)) : 100,
      limit,
      used: this.used,
    });
    const headers = ['retry-after', String(secondsUntil(window.end, now))];
    appendQuotaHeaders(headers, quotaStanding(limit, this.used, window, now), this.rate);
    this.reject(
      gatewayProblem(
        'limit_exceeded',
        `${period === 'month' ? 'Monthly' : 'Daily'} quota of ${limit} requests${
          ceiling > limit ? ` (with its overage buffer, ${ceiling})` : ''
        } used up`,
        {
          limit: 'quota',
          resetsAt: new Date(window.end).toISOString(),
          upgradeUrl: this.pipeline.upgradeUrl,
        },
      ),
      'quota_exceeded',
      headers,
    );
  }

  /** The developer's spend cap would be passed: 402, not counted, until the period resets. */
  private rejectSpendCap(window: QuotaWindow, limit: number): void {
    const now = this.startedAt;
    const cap = (this.consumer as CompiledConsumer).record.spendCap as NonNullable<
      CompiledConsumer['record']['spendCap']
    >;
    const headers = ['retry-after', String(secondsUntil(window.end, now))];
    appendQuotaHeaders(headers, quotaStanding(limit, this.used, window, now), this.rate);
    this.reject(
      spendCapProblem(cap, new Date(window.end).toISOString(), this.pipeline.upgradeUrl),
      'spend_capped',
      headers,
    );
  }

  private proxy(): void {
    const request = this.request;
    const api = this.api as CompiledApi;
    const socket = request.socket;
    const headers = upstreamRequestHeaders(request.rawHeaders, {
      requestId: this.requestId,
      clientAddress: socket.remoteAddress,
      protocol: (socket as TLSSocket).encrypted ? 'https' : 'http',
    });
    this.hasBody = requestHasBody(request.rawHeaders);
    const timeout = this.pipeline.upstreamTimeoutMs;
    const pool = this.pipeline.pools.get(api.origin);
    this.upstreamStartTick = performance.now();
    pool.dispatch(
      {
        path: this.forwardPath,
        method: request.method ?? 'GET',
        headers,
        body: this.hasBody ? request : null,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      },
      this,
    );
  }

  // --- undici dispatch handler ---

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.closed) {
      controller.abort(new Error('the client closed the connection'));
      return;
    }
    if (this.hasBody && !this.countingBody) {
      // undici resumes the body right after this call, so this listener sees every chunk it sends.
      this.countingBody = true;
      this.request.on('data', onRequestData);
    }
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    upstreamHeaders: IncomingHttpHeaders,
  ): void {
    if (statusCode < 200 || this.closed) return; // 1xx are interim; the final response follows
    this.upstreamLatencyMs = performance.now() - this.upstreamStartTick;
    this.pipeline.metrics?.observeUpstreamLatency(this.upstreamLatencyMs);
    const { headers, usage } = clientResponseHeaders(upstreamHeaders);
    if (usage !== undefined) this.usage = parseUsageHeader(usage);
    headers.push('x-request-id', this.requestId);
    const plan = this.plan as CompiledPlan;
    appendQuotaHeaders(
      headers,
      quotaStanding(plan.record.quota.limit, this.used, this.window as QuotaWindow, this.pipeline.now()),
      this.rate,
    );
    // Throws on a header value Node refuses; undici then aborts and onResponseError answers 502.
    this.response.writeHead(statusCode, headers);
    this.status = statusCode;
    this.outcome = 'proxied';
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.closed) return;
    this.responseBytes += chunk.length;
    if (!this.response.write(chunk)) {
      controller.pause(); // backpressure: stop reading the upstream until the client catches up
      if (!this.listeningForDrain) {
        this.listeningForDrain = true;
        this.response.on('drain', onResponseDrain);
      }
    }
  }

  onResponseEnd(): void {
    if (this.closed) return;
    this.response.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.closed) return; // we aborted because the client left
    const timedOut = isTimeout(error);
    const status = timedOut ? 504 : 502;
    this.failedInGateway = true;
    this.pipeline.logger.debug(
      { err: error, requestId: this.requestId, apiId: this.api?.record.id },
      'upstream call failed',
    );
    if (errorCode(error) === 'UND_ERR_INVALID_ARG' || errorCode(error) === 'UND_ERR_NOT_SUPPORTED') {
      this.pipeline.logger.error(
        { err: error, requestId: this.requestId },
        'upstream request could not be built',
      );
    }
    if (!this.response.headersSent) {
      this.reject(
        timedOut
          ? gatewayProblem(
              'upstream_timeout',
              `The upstream API did not answer within ${this.pipeline.upstreamTimeoutMs} ms`,
            )
          : gatewayProblem(
              'upstream_failed',
              'The upstream API could not be reached or sent an invalid response',
            ),
        timedOut ? 'upstream_timeout' : 'upstream_failed',
      );
      return;
    }
    // The response is under way: all that is left is to cut it short, so the client sees an error.
    this.status = status;
    this.outcome = timedOut ? 'upstream_timeout' : 'upstream_failed';
    this.response.destroy();
  }

  resumeUpstream(): void {
    this.controller?.resume();
  }

  // --- endings ---

  /** Answers with a problem document; the request is over as far as the gateway is concerned. */
  private reject(problem: Problem, outcome: RequestOutcome, extraHeaders?: readonly string[]): void {
    this.status = problem.status;
    this.outcome = outcome;
    if (problem.status >= 500 && problem.status !== 503) this.failedInGateway = true;
    const written = writeProblem(
      this.response,
      { ...problem, requestId: this.requestId },
      this.requestId,
      extraHeaders,
    );
    this.responseBytes = this.request.method === 'HEAD' ? 0 : written;
  }

  /** An error nobody expected: logged once, answered 500 (or the response is cut if it started). */
  fail(error: unknown): void {
    this.pipeline.logger.error({ err: error, requestId: this.requestId }, 'gateway request failed');
    this.failedInGateway = true;
    if (this.closed) return;
    if (!this.response.headersSent) {
      this.reject(internalErrorProblem(), 'internal_error');
    } else {
      this.outcome = 'internal_error';
      this.status = 500;
      this.response.destroy();
    }
  }

  /** Runs once, when the response is finished or the connection is gone. */
  finish(): void {
    if (this.closed) return;
    this.closed = true;
    const response = this.response;
    if (!response.writableFinished) {
      const controller = this.controller;
      if (controller !== null && !controller.aborted)
        controller.abort(new Error('the client closed the connection'));
    }
    if (!response.writableFinished && !this.failedInGateway) {
      if (this.status === 0) {
        this.status = 499; // nginx's "client closed request": nothing was answered
        this.outcome = 'client_aborted';
      } else if (this.outcome === 'proxied') {
        this.outcome = 'client_aborted';
      }
    }
    const plan = this.plan;
    const counted =
      this.charged && plan !== null && isCounted(this.status, plan.record.countPolicy, this.failedInGateway);
    if (this.charged && !counted) this.pipeline.refund(this.window as QuotaWindow, this.costWeight);
    if (this.leaseKey !== null) this.pipeline.releaseLease(this.leaseKey, this.eventId);
    this.pipeline.metrics?.countRequest(this.status, this.outcome);
    const consumer = this.consumer;
    if (consumer !== null) this.pipeline.accessLog.emit(this.event(consumer, counted));
    this.pipeline.exchangeDone();
  }

  private event(consumer: CompiledConsumer, counted: boolean): AccessLogEvent {
    return {
      id: this.eventId,
      ts: this.startedAt,
      consumerId: consumer.record.id,
      planId: consumer.record.planId,
      apiId: (this.api as CompiledApi).record.id,
      endpoint: this.endpoint,
      method: this.request.method ?? 'GET',
      status: this.status,
      requestBytes: this.requestBytes,
      responseBytes: this.responseBytes,
      latencyMs: Math.round((performance.now() - this.startTick) * 1000) / 1000,
      upstreamLatencyMs: Math.round(this.upstreamLatencyMs * 1000) / 1000,
      cached: false,
      counted,
      ...(this.overage ? { overage: true } : {}),
      usage: this.usage,
    };
  }
}

/**
 * The gateway's request path: route by API prefix, identify the key, check the plan, take the
 * period quota, proxy with undici, count, and emit one access-log event per identified request.
 */
export function createGatewayHandler(deps: GatewayDependencies): GatewayHandler {
  const pipeline = new GatewayPipeline(deps);
  const handler = ((request: IncomingMessage, response: ServerResponse) =>
    pipeline.handle(request, response)) as GatewayHandler;
  Object.defineProperty(handler, 'activeRequests', { get: () => pipeline.active });
  Object.defineProperty(handler, 'whenIdle', { value: () => pipeline.whenIdle() });
  Object.defineProperty(handler, 'close', { value: () => pipeline.pools.close() });
  return handler;
}
