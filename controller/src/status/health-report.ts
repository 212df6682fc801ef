import { jobSourceName } from '../config/job-sources.ts';
import type { PoolConfig, RepoConfig } from '../config/config-types.ts';
import type { ReleaseFeed } from '../github/runner-releases.ts';
import { waitDetail } from '../reconcile/wait-detail.ts';
import type { WaitCount, WaitReport } from '../reconcile/wait-types.ts';
import type { ScaleSetHealth } from '../scaleset/scale-set-source.ts';
import type {
  HealthReport,
  PoolHealthReport,
  RepositoryHealth,
  WaitingJobHealth,
} from './health-types.ts';
import {
  credentialWarnings,
  engineWarnings,
  poolWarnings,
  repositoryWarnings,
} from './health-warnings.ts';
import { poolFreshness, type StatusModel } from './status-model.ts';

/**
 * /health: what the controller knows, with the warnings it gives. `failing` (503) when Docker or
 * GitHub does not answer or a runner image is outdated; `degraded` when anything else keeps a
 * repository, a pool or an engine from being served.
 */
export function healthReport(model: StatusModel): HealthReport {
  const now = model.now();
  const engineError = model.engineError();
  const engines = model.engines();
  const credentials = model.credentials();
  const warnings = [
    ...engineWarnings(engineError, engines),
    ...credentials.flatMap((c) => credentialWarnings(c, model.config.resyncIntervalSeconds)),
  ];
  const waits = model.waits();
  const repositories = model.config.repos.map((repo) =>
    repositoryReport(repo, model, waits.counts, warnings),
  );
  const allPools = repositories.flatMap((repo) => repo.pools);
  const allDown = engines.length > 0 && engines.every((engine) => !engine.up);
  const failing =
    engineError !== undefined ||
    allDown ||
    allPools.some((pool) => pool.imageOutdated) ||
    repositories.some((repo) => !repo.github.reachable);
  const status = failing
    ? 'failing'
    : repositories.every((repo) => repo.healthy) && engines.every((engine) => engine.up)
      ? 'ok'
      : 'degraded';
  const repoOf = new Map(model.config.pools.map((pool) => [pool.id, pool.repoId]));
  const runners = model.runners();
  return {
    status,
    build: model.config.build,
    maxRunners: model.config.maxRunners,
    queueDepth: allPools.reduce((sum, pool) => sum + pool.waitingJobs, 0),
    docker: {
      reachable: engineError === undefined && !allDown,
      ...(engineError ? { error: engineError } : {}),
      engines: engines.map((engine) => ({
        name: engine.id,
        endpoint: engine.endpoint,
        up: engine.up,
        capacity: engine.capacity,
        runners: runners.filter((runner) => runner.engineId === engine.id).length,
        platforms: engine.platforms,
        runtimes: engine.runtimes ?? null,
        labels: engine.labels,
        ...(engine.error ? { error: engine.error } : {}),
        ...(engine.downSince === undefined
          ? {}
          : { downSince: new Date(engine.downSince).toISOString() }),
      })),
    },
    runners: runners.map((runner) => ({
      name: runner.name,
      repo: repoOf.get(runner.poolId) ?? runner.poolId,
      pool: runner.poolId,
      state: runner.phase,
      jobId: runner.jobId ?? null,
      ageSeconds: Math.max(0, Math.round((now - runner.since) / 1000)),
    })),
    waitingJobs: waitingJobs(waits, now),
    repositories,
    runnerReleases: releasesReport(model.releases()),
    unservedJobs: model.unserved().map((job) => ({
      repo: job.repoId,
      repository: job.repository,
      jobId: job.jobId,
      labels: job.labels,
      pools: job.pools,
      at: new Date(job.at).toISOString(),
    })),
    credentials,
    warnings,
  };
}

/** The oldest waiting jobs shown: the counts per pool and reason hold them all. */
const WAITING_JOBS_SHOWN = 100;

function waitingJobs(waits: WaitReport, now: number): WaitingJobHealth[] {
  return waits.jobs.slice(0, WAITING_JOBS_SHOWN).map((job) => ({
    repo: job.repoId,
    pool: job.poolId ?? null,
    jobId: job.jobId,
    repository: job.repository,
    since: new Date(job.queuedAt).toISOString(),
    waitingSeconds: Math.max(0, Math.round((now - job.queuedAt) / 1000)),
    reason: job.why.reason,
    detail: waitDetail(job.why, now),
  }));
}

function repositoryReport(
  repo: RepoConfig,
  model: StatusModel,
  counts: readonly WaitCount[],
  warnings: string[],
): RepositoryHealth {
  const github = model.github(repo.id);
  const hook = model.hook(repo.id);
  warnings.push(...repositoryWarnings(repo.id, github, hook));
  const pools = repo.pools.map((pool) =>
    poolReport(
      pool,
      model,
      counts.filter((count) => count.poolId === pool.id),
      warnings,
    ),
  );
  return {
    id: repo.id,
    healthy:
      (github?.lastError ?? hook?.error) === undefined && pools.every((pool) => pool.healthy),
    github: {
      reachable: github?.reachable ?? true,
      lastSyncAt:
        github?.lastSyncAt === undefined ? null : new Date(github.lastSyncAt).toISOString(),
      ...(github?.lastError ? { error: github.lastError } : {}),
    },
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
    pools,
  };
}

function poolReport(
  pool: PoolConfig,
  model: StatusModel,
  counts: readonly WaitCount[],
  warnings: string[],
): PoolHealthReport {
  const now = model.now();
  const health = model.poolHealth(pool.id);
  const image = model.image(pool.id);
  const scaleSet = model.scaleSet(pool.id);
  const freshness = poolFreshness(model, pool.id);
  // A pool no engine can run is refused rather than served with containers that crash.
  const refused = model.refusedPools().has(pool.id);
  warnings.push(
    ...poolWarnings(pool, {
      refused,
      engines: model.engines(),
      health,
      image,
      scaleSet,
      freshness,
    }),
  );
  // Past the 30 days GitHub gives no job to this version: as good as a pool that cannot start.
  const expired = freshness?.daysLeft === 0;
  const listening = scaleSet === undefined || scaleSet.state === 'listening';
  return {
    id: pool.id,
    labels: pool.runnerLabels,
    jobSource: jobSourceName(pool.jobSource),
    healthy:
      !refused &&
      listening &&
      !expired &&
      health?.lastError === undefined &&
      !(health?.imageOutdated ?? false),
    waitingJobs: model.waitingJobs(pool.id),
    waitReasons: counts.map((count) => ({
      reason: count.reason,
      jobs: count.jobs,
      oldestWaitingSeconds:
        count.oldestQueuedAt === undefined
          ? null
          : Math.max(0, Math.round((now - count.oldestQueuedAt) / 1000)),
    })),
    maxRunners: pool.maxRunners,
    startFailures: health?.startFailures ?? 0,
    earlyExits: health?.earlyExits ?? 0,
    givenUpJobs: health?.givenUpJobs ?? 0,
    imageOutdated: health?.imageOutdated ?? false,
    runnerImage: {
      image: pool.runnerImage,
      version: image?.version ?? null,
      revision: image?.revision ?? null,
      ...(image?.pullError ? { pullError: image.pullError } : {}),
    },
    ...(scaleSet ? { scaleSet: scaleSetReport(scaleSet) } : {}),
    runnerUpdate: freshness
      ? {
          latest: freshness.latest,
          outdated: freshness.outdated,
          deadline:
            freshness.deadline === undefined ? null : new Date(freshness.deadline).toISOString(),
          daysLeft: freshness.daysLeft ?? null,
        }
      : null,
    ...(health?.lastError ? { lastError: health.lastError } : {}),
  };
}

function scaleSetReport(health: ScaleSetHealth): NonNullable<PoolHealthReport['scaleSet']> {
  const seconds = (ms: number | undefined) => (ms === undefined ? null : Math.round(ms / 1000));
  return {
    name: health.scaleSetName,
    state: health.state,
    assignedJobs: health.statistics?.totalAssignedJobs ?? null,
    runningJobs: health.statistics?.totalRunningJobs ?? null,
    sincePollSeconds: seconds(health.sincePollMs),
    sinceMessageSeconds: seconds(health.sinceMessageMs),
    ...(health.lastError ? { error: health.lastError } : {}),
  };
}

function releasesReport(feed: ReleaseFeed): HealthReport['runnerReleases'] {
  return {
    latest: feed.latest?.version ?? null,
    checkedAt: feed.checkedAt === undefined ? null : new Date(feed.checkedAt).toISOString(),
    ...(feed.error ? { error: feed.error } : {}),
  };
}
