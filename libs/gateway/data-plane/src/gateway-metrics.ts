import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { type AccessLogEmitter } from './access-log-emitter';

/** How a request ended, as a bounded metric label. */
export type RequestOutcome =
  | 'proxied'
  | 'bad_request'
  | 'no_api'
  | 'unauthenticated'
  | 'suspended'
  | 'endpoint_forbidden'
  | 'quota_exceeded'
  | 'spend_capped'
  | 'rate_limited'
  | 'concurrency_limited'
  | 'counters_unavailable'
  | 'upstream_failed'
  | 'upstream_timeout'
  | 'client_aborted'
  | 'internal_error';

const statusClasses = ['1xx', '2xx', '3xx', '4xx', '5xx'];

function reuse<T>(registry: Registry, name: string, create: () => T): T {
  // A registry shared by several handlers (tests, embedded mode) keeps one series per name.
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** The data plane's Prometheus series. Label children are cached so the hot path does no label hashing. */
export class GatewayMetrics {
  private readonly requests: Counter<'status_class' | 'outcome'>;
  private readonly upstreamLatency: Histogram;
  private readonly children = new Map<RequestOutcome, Array<Counter.Internal | undefined>>();
  private readonly localDecisions: Counter;

  constructor(registry: Registry) {
    this.requests = reuse(
      registry,
      'tollgate_gateway_requests_total',
      () =>
        new Counter({
          name: 'tollgate_gateway_requests_total',
          help: 'Requests handled by the gateway, by status class and outcome',
          labelNames: ['status_class', 'outcome'] as const,
          registers: [registry],
        }),
    );
    this.localDecisions = reuse(
      registry,
      'tollgate_gateway_local_decisions_total',
      () =>
        new Counter({
          name: 'tollgate_gateway_local_decisions_total',
          help: 'Requests decided by a node-local limiter while Redis was unreachable (plans that fail open)',
          registers: [registry],
        }),
    );
    this.upstreamLatency = reuse(
      registry,
      'tollgate_gateway_upstream_latency_seconds',
      () =>
        new Histogram({
          name: 'tollgate_gateway_upstream_latency_seconds',
          help: 'Time from dispatching a request upstream to receiving the response headers',
          buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
          registers: [registry],
        }),
    );
  }

  /** A request decided on this node alone while the shared counters were unreachable. */
  countLocalDecision(): void {
    this.localDecisions.inc();
  }

  countRequest(status: number, outcome: RequestOutcome): void {
    const classIndex = Math.min(4, Math.max(0, Math.floor(status / 100) - 1));
    let byClass = this.children.get(outcome);
    if (byClass === undefined) {
      byClass = [];
      this.children.set(outcome, byClass);
    }
    let child = byClass[classIndex];
    if (child === undefined) {
      child = this.requests.labels(statusClasses[classIndex], outcome);
      byClass[classIndex] = child;
    }
    child.inc();
  }

  observeUpstreamLatency(milliseconds: number): void {
    this.upstreamLatency.observe(milliseconds / 1000);
  }
}

/** Exposes the emitter's counters; re-registering replaces the series of a previous emitter. */
export function registerAccessLogEmitterMetrics(registry: Registry, emitter: AccessLogEmitter): void {
  for (const name of [
    'tollgate_gateway_access_log_pending',
    'tollgate_gateway_access_log_sent_total',
    'tollgate_gateway_access_log_failed_sends_total',
  ]) {
    registry.removeSingleMetric(name);
  }
  new Gauge({
    name: 'tollgate_gateway_access_log_pending',
    help: 'Access-log events emitted and not yet acknowledged by the event log',
    registers: [registry],
    collect() {
      this.set(emitter.pending);
    },
  });
  new Counter({
    name: 'tollgate_gateway_access_log_sent_total',
    help: 'Access-log events acknowledged by the event log',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(emitter.sent);
    },
  });
  new Counter({
    name: 'tollgate_gateway_access_log_failed_sends_total',
    help: 'Sends of access-log batches that failed and were retried',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(emitter.failedAttempts);
    },
  });
}
