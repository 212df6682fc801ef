import { createMetrics } from '../../controller/src/metrics/metrics.ts';

/**
 * The names of every metric the controller's /metrics exports (a histogram's `_bucket`, `_sum`
 * and `_count` included), read from its own registry: what dashboards and alert rules may use.
 */
export async function exportedMetricNames(): Promise<Set<string>> {
  const metrics = createMetrics();
  metrics.bindSources({
    runners: () => [],
    waitingJobs: () => 0,
    pools: [],
    maxRunners: 1,
    capacity: () => 1,
    build: { version: 'test', revision: 'test' },
  });
  const names = new Set<string>();
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram')
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
  }
  return names;
}
