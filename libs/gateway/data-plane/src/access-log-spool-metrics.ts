import { Counter, Gauge, type Registry } from 'prom-client';
import { type AccessLogSpool } from './access-log-spool';

const names = [
  'tollgate_gateway_access_log_spool_events',
  'tollgate_gateway_access_log_spool_bytes',
  'tollgate_gateway_access_log_spool_oldest_age_seconds',
  'tollgate_gateway_access_log_spool_dropped_total',
];

/** Exposes the spool's depth, age and losses; re-registering replaces the series of a previous spool. */
export function registerAccessLogSpoolMetrics(registry: Registry, spool: AccessLogSpool): void {
  for (const name of names) registry.removeSingleMetric(name);
  new Gauge({
    name: 'tollgate_gateway_access_log_spool_events',
    help: 'Access-log events in the local spool, waiting for the event log',
    registers: [registry],
    collect() {
      this.set(spool.depth);
    },
  });
  new Gauge({
    name: 'tollgate_gateway_access_log_spool_bytes',
    help: 'Bytes of the access-log events in the local spool',
    registers: [registry],
    collect() {
      this.set(spool.depthBytes);
    },
  });
  new Gauge({
    name: 'tollgate_gateway_access_log_spool_oldest_age_seconds',
    help: 'Age of the oldest access-log event in the local spool (0 when empty)',
    registers: [registry],
    collect() {
      const oldest = spool.oldestTs;
      this.set(oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000));
    },
  });
  new Counter({
    name: 'tollgate_gateway_access_log_spool_dropped_total',
    help: 'Access-log events lost because the spool was full or could not be written',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(spool.dropped);
    },
  });
}
