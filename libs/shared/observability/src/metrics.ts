import { collectDefaultMetrics, Registry } from 'prom-client';

/** One Prometheus registry per app, with the default process metrics and an `app` label. */
export function createMetricsRegistry(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry });
  return registry;
}
