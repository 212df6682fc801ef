import { jobSourceName } from '../config/job-sources.ts';
import type { Config, PoolConfig } from '../config/load-config.ts';
import type { UnservedJob } from '../jobs/unserved-jobs.ts';
import type { RunnerView } from '../reconcile/observe-runners.ts';
import type { PoolHealth } from '../reconcile/pool-health.ts';
import { unplaceable } from '../reconcile/placement.ts';
import type { EngineStatus } from '../runners/runtime.ts';
import type { ScaleSetHealth } from '../scaleset/scale-set-source.ts';
import type { GitHubHealth } from '../reconcile/resyncer.ts';
import type { HookHealth } from '../webhook/hook-manager.ts';
import type { ReleaseFeed } from '../github/runner-releases.ts';
import { freshnessWarning, type RunnerFreshness } from '../runners/runner-freshness.ts';

/** What is known of a pool's runner image: its labels' version, and trouble pulling it. */
export type ImageHealth = {
  version: string | null;
  revision: string | null;
  pullError?: string;
};

export type PoolHealthReport = {
  id: string;
  labels: string[];
  jobSource: string;
  healthy: boolean;
  waitingJobs: number;
  maxRunners: number;
  startFailures: number;
  earlyExits: number;
  givenUpJobs: number;
  imageOutdated: boolean;
  runnerImage: { image: string } & ImageHealth;
  /** A scale-set pool's session with the Actions service. */
  scaleSet?: {
    name: string;
    state: string;
    assignedJobs: number | null;
    runningJobs: number | null;
    sincePollSeconds: number | null;
    sinceMessageSeconds: number | null;
    error?: string;
  };
  /** Its runner version against actions/runner's releases; null while either is unknown. */
  runnerUpdate: {
    latest: string;
    /** A newer release has been out for more than 7 days. */
    outdated: boolean;
    /** When GitHub stops queueing jobs to this version (30 days after its successor). */
    deadline: string | null;
    daysLeft: number | null;
  } | null;
  lastError?: string;
};

export type RepositoryHealth = {
  id: string;
  /** False when anything keeps this repository or one of its pools from being served. */
  healthy: boolean;
  github: { reachable: boolean; lastSyncAt: string | null; error?: string };
  webhook?: { url: string; hookId: number | null; redelivered: number; error?: string };
  pools: PoolHealthReport[];
};

export type EngineHealth = {
  name: string;
  endpoint: string;
  up: boolean;
  capacity: number;
  runners: number;
  platforms: string[];
  labels: Record<string, string>;
  error?: string;
  downSince?: string;
};

/** One credential's share of GitHub's limits, and how long a resync round of its entries takes. */
export type CredentialHealth = {
  name: string;
  repositories: number;
  pointsLastMinute: number;
  contentLastMinute: number;
  /** Waiting out GitHub's retry-after (seconds left), else 0. */
  pausedForSeconds: number;
  secondaryLimitAnswers: number;
  resyncBudgetPerMinute: number;
  /** How long the last round of resyncs over its repositories took; null before the first. */
  resyncRoundSeconds: number | null;
};

export type HealthReport = {
  /** failing (503): Docker or GitHub unreachable, or an outdated runner image; degraded: a repository is unhealthy. */
  status: 'ok' | 'degraded' | 'failing';
  build: { version: string; revision: string };
  maxRunners: number;
  queueDepth: number;
  docker: { reachable: boolean; error?: string; engines: EngineHealth[] };
  runners: {
    name: string;
    repo: string;
    pool: string;
    state: string;
    jobId: number | null;
    ageSeconds: number;
  }[];
  repositories: RepositoryHealth[];
  /** actions/runner's latest release, as last read (once a day). */
  runnerReleases: { latest: string | null; checkedAt: string | null; error?: string };
  /** Recent queued jobs that no pool serves, with their labels (the pools' are in `repositories`). */
  unservedJobs: { repo: string; repository: string; jobId: number; labels: string[]; at: string }[];
  /** GitHub credentials, each shared by the entries that use it. */
  credentials: CredentialHealth[];
  warnings: string[];
};

export type HealthSources = {
  config: Pick<Config, 'maxRunners' | 'repos' | 'build'>;
  /** How many jobs wait in a pool: the count the planner reads too. */
  waitingJobs: (poolId: string) => number;
  runners: () => readonly RunnerView[];
  engineError: () => string | undefined;
  engines?: () => readonly EngineStatus[];
  poolHealth: (poolId: string) => PoolHealth | undefined;
  githubHealth: (repoId: string) => GitHubHealth | undefined;
  hookHealth: (repoId: string) => HookHealth | undefined;
  imageHealth?: (poolId: string) => ImageHealth | undefined;
  scaleSetHealth?: (poolId: string) => ScaleSetHealth | undefined;
  unserved?: () => readonly UnservedJob[];
  runnerReleases?: () => ReleaseFeed;
  freshness?: (poolId: string) => RunnerFreshness | undefined;
  credentials?: () => CredentialHealth[];
  /** RESYNC_INTERVAL_SECONDS, against which a credential's resync round is judged. */
  resyncIntervalSeconds?: number;
};

/** Built from what the controller already knows: answering never waits on Docker or GitHub. */
export function healthReport(sources: HealthSources, now: number): HealthReport {
  const engineError = sources.engineError();
  const engines = sources.engines?.() ?? [];
  const warnings: string[] = [];
  if (engineError) warnings.push(`Docker: ${engineError}`);
  for (const engine of engines) {
    if (!engine.up)
      warnings.push(`engine ${engine.id} unreachable: ${engine.error ?? 'no answer'}`);
  }
  const credentials = sources.credentials?.() ?? [];
  for (const credential of credentials) {
    const interval = sources.resyncIntervalSeconds;
    const round = credential.resyncRoundSeconds;
    if (interval !== undefined && round !== null && round > interval * 1.5) {
      warnings.push(
        `credential ${credential.name}: a resync round over its ${credential.repositories} repositories takes ${Math.round(round)} s (interval ${interval} s) within ${credential.resyncBudgetPerMinute} requests a minute`,
      );
    }
    if (credential.pausedForSeconds > 0) {
      warnings.push(
        `credential ${credential.name}: GitHub asked to wait (rate limit), ${credential.pausedForSeconds} s left`,
      );
    }
  }
  const repoOf = new Map<string, string>();
  const repositories = sources.config.repos.map((repo): RepositoryHealth => {
    const github = sources.githubHealth(repo.id);
    const hook = sources.hookHealth(repo.id);
    if (github && !github.reachable) warnings.push(`${repo.id}: GitHub unreachable`);
    else if (github?.lastError) warnings.push(`${repo.id}: ${github.lastError}`);
    if (hook?.error) warnings.push(`${repo.id}: webhook registration failed: ${hook.error}`);
    const pools = repo.pools.map((pool) => {
      repoOf.set(pool.id, repo.id);
      return poolReport(pool, sources, engines, warnings);
    });
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
  });
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
  return {
    status,
    build: sources.config.build,
    maxRunners: sources.config.maxRunners,
    queueDepth: allPools.reduce((sum, pool) => sum + pool.waitingJobs, 0),
    docker: {
      reachable: engineError === undefined && !allDown,
      ...(engineError ? { error: engineError } : {}),
      engines: engines.map((engine) => ({
        name: engine.id,
        endpoint: engine.endpoint,
        up: engine.up,
        capacity: engine.capacity,
        runners: sources.runners().filter((runner) => runner.engineId === engine.id).length,
        platforms: engine.platforms,
        labels: engine.labels,
        ...(engine.error ? { error: engine.error } : {}),
        ...(engine.downSince === undefined
          ? {}
          : { downSince: new Date(engine.downSince).toISOString() }),
      })),
    },
    runners: sources.runners().map((runner) => ({
      name: runner.name,
      repo: repoOf.get(runner.poolId) ?? runner.poolId,
      pool: runner.poolId,
      state: runner.phase,
      jobId: runner.jobId ?? null,
      ageSeconds: Math.max(0, Math.round((now - runner.since) / 1000)),
    })),
    repositories,
    runnerReleases: releasesReport(sources.runnerReleases?.()),
    unservedJobs: (sources.unserved?.() ?? []).map((job) => ({
      repo: job.repoId,
      repository: job.repository,
      jobId: job.jobId,
      labels: job.labels,
      at: new Date(job.at).toISOString(),
    })),
    credentials,
    warnings,
  };
}

function poolReport(
  pool: PoolConfig,
  sources: HealthSources,
  engines: readonly EngineStatus[],
  warnings: string[],
): PoolHealthReport {
  const health = sources.poolHealth(pool.id);
  // A pool no engine can run is refused rather than served with containers that crash.
  const placeable = engines.length === 0 || unplaceable([pool], engines).length === 0;
  if (!placeable) {
    const offered = engines.map((e) => `${e.id}: ${e.platforms.join(', ') || 'unknown'}`);
    warnings.push(
      `${pool.id}: no engine can run it (${pool.platform ?? 'native'}${labelText(pool.engineLabels)}; engines: ${offered.join('; ')})`,
    );
  }
  const image = sources.imageHealth?.(pool.id);
  if (health?.imageOutdated)
    warnings.push(`${pool.id}: runner image is outdated; update the runner image`);
  else if (health?.lastError)
    warnings.push(`${pool.id}: runners fail to start: ${health.lastError}`);
  if (health && health.givenUpJobs > 0)
    warnings.push(`${pool.id}: ${health.givenUpJobs} job(s) given up`);
  if (image?.pullError) warnings.push(`${pool.id}: runner image pull failed: ${image.pullError}`);
  const scaleSet = sources.scaleSetHealth?.(pool.id);
  const listening = scaleSet === undefined || scaleSet.state === 'listening';
  if (scaleSet && !listening)
    warnings.push(
      `${pool.id}: scale set ${scaleSet.scaleSetName} ${scaleSet.state}${scaleSet.lastError ? `: ${scaleSet.lastError}` : ''}`,
    );
  const freshness = sources.freshness?.(pool.id);
  const stale = freshnessWarning(pool.id, freshness);
  if (stale) warnings.push(stale);
  // Past the 30 days GitHub gives no job to this version: as good as a pool that cannot start.
  const expired = freshness?.daysLeft === 0;
  return {
    id: pool.id,
    labels: pool.runnerLabels,
    jobSource: jobSourceName(pool.jobSource),
    healthy:
      placeable &&
      listening &&
      !expired &&
      health?.lastError === undefined &&
      !(health?.imageOutdated ?? false),
    waitingJobs: sources.waitingJobs(pool.id),
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

function releasesReport(feed: ReleaseFeed | undefined): HealthReport['runnerReleases'] {
  return {
    latest: feed?.latest?.version ?? null,
    checkedAt: feed?.checkedAt === undefined ? null : new Date(feed.checkedAt).toISOString(),
    ...(feed?.error ? { error: feed.error } : {}),
  };
}

function labelText(labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}=${value}`);
  return pairs.length === 0 ? '' : ` on engines labelled ${pairs.join(', ')}`;
}
