import { Counter, Gauge, Registry } from 'prom-client';
import type { RunnerView } from '../reconcile/observe-runners.ts';

export type Metrics = ReturnType<typeof createMetrics>;

export type MetricSources = {
  runners: () => readonly RunnerView[];
  waitingJobs: (poolId: string) => number;
  pools: readonly { id: string; maxRunners: number }[];
  maxRunners: number;
};

/** The controller's metrics, on a registry of their own. */
export function createMetrics(sources: MetricSources) {
  const registry = new Registry();
  const deliveries = new Counter({
    name: 'autoscaler_webhook_deliveries_total',
    help: 'Webhook deliveries received, by result',
    labelNames: ['repo', 'result'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'autoscaler_runners',
    help: 'Runner containers by repository and state',
    labelNames: ['repo', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const pool of sources.pools) {
        for (const state of ['starting', 'idle', 'busy', 'exited'] as const)
          this.set({ repo: pool.id, state }, 0);
      }
      for (const runner of sources.runners())
        this.inc({ repo: runner.poolId, state: runner.phase });
    },
  });
  new Gauge({
    name: 'autoscaler_jobs_waiting',
    help: 'Served jobs queued and not yet taken by a runner',
    labelNames: ['repo'] as const,
    registers: [registry],
    collect() {
      for (const pool of sources.pools) this.set({ repo: pool.id }, sources.waitingJobs(pool.id));
    },
  });
  new Gauge({
    name: 'autoscaler_runners_max',
    help: 'Cap on runner containers; repo="" is the global cap',
    labelNames: ['repo'] as const,
    registers: [registry],
    collect() {
      this.set({ repo: '' }, sources.maxRunners);
      for (const pool of sources.pools) this.set({ repo: pool.id }, pool.maxRunners);
    },
  });
  return { registry, deliveries };
}
