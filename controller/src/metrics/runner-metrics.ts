import type { ReconcilerEvents } from '../reconcile/reconciler.ts';
import type { Metrics } from './metrics.ts';

export type RunnerMetricsDeps = {
  /** The entry a pool belongs to (the `repo` label). */
  repoOf: (poolId: string) => string;
  /** When the job a runner was started for was queued, if it is known. */
  queuedAt: (jobId: number, poolId: string) => number | undefined;
  now: () => number;
};

/** What the reconciler reports of runners, as metrics. */
export function runnerMetrics(metrics: Metrics, deps: RunnerMetricsDeps): ReconcilerEvents {
  const labels = (pool: string) => ({ repo: deps.repoOf(pool), pool });
  return {
    spawned: (pool, durationMs, jobId) => {
      metrics.spawnSeconds.observe(labels(pool), durationMs / 1000);
      const queuedAt = jobId === undefined ? undefined : deps.queuedAt(jobId, pool);
      if (queuedAt !== undefined)
        metrics.queueSeconds.observe(
          { ...labels(pool), until: 'runner_started' },
          (deps.now() - queuedAt) / 1000,
        );
    },
    spawnFailed: (pool) => metrics.spawnFailures.inc(labels(pool)),
    exitedEarly: (pool) => metrics.earlyExits.inc(labels(pool)),
    gaveUp: (pool) => metrics.givenUpJobs.inc(labels(pool)),
    removed: (pool, reason) => metrics.removals.inc({ ...labels(pool), reason }),
    dockerError: (operation) => metrics.dockerErrors.inc({ operation }),
  };
}
