import type { Config } from '../config/load-config.ts';
import type { JobBook } from '../jobs/job-book.ts';
import type { Reconciler } from '../reconcile/reconciler.ts';

export type HealthReport = {
  status: 'ok' | 'degraded';
  maxRunners: number;
  queueDepth: number;
  docker: { reachable: boolean; error?: string };
  runners: {
    name: string;
    repo: string;
    state: string;
    jobId: number | null;
    ageSeconds: number;
  }[];
  repositories: {
    id: string;
    waitingJobs: number;
    spawnFailures: number;
    imageOutdated: boolean;
    lastError?: string;
  }[];
  warnings: string[];
};

/** Built from what the controller already knows: answering never waits on Docker or GitHub. */
export function healthReport(
  config: Pick<Config, 'maxRunners' | 'pools'>,
  jobs: JobBook,
  reconciler: Reconciler,
  now: number,
): HealthReport {
  const engineError = reconciler.engineError();
  const warnings: string[] = [];
  if (engineError) warnings.push('Docker engine unreachable');
  const repositories = config.pools.map((pool) => {
    const health = reconciler.poolHealth(pool.id);
    if (health?.imageOutdated)
      warnings.push(`${pool.id}: runner image is outdated; update RUNNER_IMAGE`);
    if (health?.lastError) warnings.push(`${pool.id}: runners fail to start`);
    return {
      id: pool.id,
      waitingJobs: jobs.waiting(pool.id).length,
      spawnFailures: health?.spawnFailures ?? 0,
      imageOutdated: health?.imageOutdated ?? false,
      ...(health?.lastError ? { lastError: health.lastError } : {}),
    };
  });
  const unhealthy = engineError !== undefined || repositories.some((repo) => repo.imageOutdated);
  return {
    status: unhealthy ? 'degraded' : 'ok',
    maxRunners: config.maxRunners,
    queueDepth: repositories.reduce((sum, repo) => sum + repo.waitingJobs, 0),
    docker: engineError ? { reachable: false, error: engineError } : { reachable: true },
    runners: reconciler.runners().map((runner) => ({
      name: runner.name,
      repo: runner.poolId,
      state: runner.phase,
      jobId: runner.jobId ?? null,
      ageSeconds: Math.max(0, Math.round((now - runner.since) / 1000)),
    })),
    repositories,
    warnings,
  };
}
