import type { Config } from '../config/load-config.ts';
import type { JobBook } from '../jobs/job-book.ts';
import type { RunnerView } from '../reconcile/observe-runners.ts';
import type { PoolHealth } from '../reconcile/pool-health.ts';
import type { GitHubHealth } from '../reconcile/resyncer.ts';
import type { HookHealth } from '../webhook/hook-manager.ts';

export type RepositoryHealth = {
  id: string;
  /** False when anything keeps this repository from being served; the reason is in warnings. */
  healthy: boolean;
  waitingJobs: number;
  github: { reachable: boolean; lastSyncAt: string | null; error?: string };
  startFailures: number;
  earlyExits: number;
  givenUpJobs: number;
  imageOutdated: boolean;
  lastError?: string;
  webhook?: { url: string; hookId: number | null; redelivered: number; error?: string };
};

export type HealthReport = {
  /** failing (503): Docker or GitHub unreachable, or an outdated runner image; degraded: a repository is unhealthy. */
  status: 'ok' | 'degraded' | 'failing';
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
  repositories: RepositoryHealth[];
  warnings: string[];
};

export type HealthSources = {
  config: Pick<Config, 'maxRunners' | 'pools'>;
  jobs: JobBook;
  runners: () => readonly RunnerView[];
  engineError: () => string | undefined;
  poolHealth: (poolId: string) => PoolHealth | undefined;
  githubHealth: (poolId: string) => GitHubHealth | undefined;
  hookHealth: (poolId: string) => HookHealth | undefined;
};

/** Built from what the controller already knows: answering never waits on Docker or GitHub. */
export function healthReport(sources: HealthSources, now: number): HealthReport {
  const engineError = sources.engineError();
  const warnings: string[] = [];
  if (engineError) warnings.push('Docker engine unreachable');
  const repositories = sources.config.pools.map((pool): RepositoryHealth => {
    const health = sources.poolHealth(pool.id);
    const github = sources.githubHealth(pool.id);
    const hook = sources.hookHealth(pool.id);
    if (github && !github.reachable) warnings.push(`${pool.id}: GitHub unreachable`);
    else if (github?.lastError) warnings.push(`${pool.id}: ${github.lastError}`);
    if (health?.imageOutdated)
      warnings.push(`${pool.id}: runner image is outdated; update RUNNER_IMAGE`);
    else if (health?.lastError)
      warnings.push(`${pool.id}: runners fail to start: ${health.lastError}`);
    if (health && health.givenUpJobs > 0)
      warnings.push(`${pool.id}: ${health.givenUpJobs} job(s) given up`);
    if (hook?.error) warnings.push(`${pool.id}: webhook registration failed: ${hook.error}`);
    const healthy =
      (github?.lastError ?? health?.lastError ?? hook?.error) === undefined &&
      !(health?.imageOutdated ?? false);
    return {
      id: pool.id,
      healthy,
      waitingJobs: sources.jobs.waiting(pool.id).length,
      github: {
        reachable: github?.reachable ?? true,
        lastSyncAt:
          github?.lastSyncAt === undefined ? null : new Date(github.lastSyncAt).toISOString(),
        ...(github?.lastError ? { error: github.lastError } : {}),
      },
      startFailures: health?.startFailures ?? 0,
      earlyExits: health?.earlyExits ?? 0,
      givenUpJobs: health?.givenUpJobs ?? 0,
      imageOutdated: health?.imageOutdated ?? false,
      ...(health?.lastError ? { lastError: health.lastError } : {}),
      ...(hook
        ? {
            webhook: {
              url: hook.url,
              hookId: hook.hookId ?? null,
              redelivered: hook.redelivered,
              ...(hook.error ? { error: hook.error } : {}),
            },
          }
        : {}),
    };
  });
  const failing =
    engineError !== undefined ||
    repositories.some((repo) => repo.imageOutdated || !repo.github.reachable);
  const status = failing
    ? 'failing'
    : repositories.every((repo) => repo.healthy)
      ? 'ok'
      : 'degraded';
  return {
    status,
    maxRunners: sources.config.maxRunners,
    queueDepth: repositories.reduce((sum, repo) => sum + repo.waitingJobs, 0),
    docker: engineError ? { reachable: false, error: engineError } : { reachable: true },
    runners: sources.runners().map((runner) => ({
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
