import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RunnerView } from '../reconcile/observe-runners.ts';
import type { RunnerFreshness } from '../runners/runner-freshness.ts';

export type Metrics = ReturnType<typeof createMetrics>;

type ScaleSetReading = NonNullable<ReturnType<NonNullable<MetricSources['scaleSet']>>>;

/** What the gauges read when scraped; bound once the controller's parts exist. */
export type MetricSources = {
  runners: () => readonly RunnerView[];
  waitingJobs: (poolId: string) => number;
  pools: readonly { id: string; repoId: string; maxRunners: number; runnerImage: string }[];
  maxRunners: number;
  capacity: () => number;
  build: { version: string; revision: string };
  /** The version label of a pool's runner image, once known. */
  runnerImageVersion?: (poolId: string) => string | undefined;
  /** A scale-set pool's session: listening or not, its statistics, when its queue last answered. */
  scaleSet?: (
    poolId: string,
  ) =>
    | { listening: boolean; assignedJobs: number | undefined; sincePollMs: number | undefined }
    | undefined;
  /** A pool's runner version against actions/runner's releases, once both are known. */
  runnerFreshness?: (poolId: string) => RunnerFreshness | undefined;
};

const STATES = ['starting', 'idle', 'busy', 'exited'] as const;
/** Seconds: from a webhook's few hundred milliseconds to jobs of hours. */
const QUEUE_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
const DURATION_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400];
const SPAWN_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

/**
 * The controller's metrics, on a registry of their own. Labels stay bounded: a repository id,
 * a state, an action or a result, never a job id or a runner name.
 */
export function createMetrics() {
  const registry = new Registry();
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter({ name, help, labelNames, registers });
  return {
    registry,
    bindSources: (sources: MetricSources) => bindGauges(registers, sources),
    ...events(counter, registers),
  };
}

function bindGauges(registers: Registry[], sources: MetricSources): void {
  const repoOf = new Map(sources.pools.map((pool) => [pool.id, pool.repoId]));
  new Gauge({
    name: 'autoscaler_build_info',
    help: 'The running controller: its version and source revision (always 1)',
    labelNames: ['version', 'revision'] as const,
    registers,
    collect() {
      this.set(sources.build, 1);
    },
  });
  new Gauge({
    name: 'autoscaler_runner_image_info',
    help: "Each pool's runner image and the version its label gives (always 1)",
    labelNames: ['repo', 'pool', 'image', 'version'] as const,
    registers,
    collect() {
      this.reset();
      for (const pool of sources.pools) {
        const version = sources.runnerImageVersion?.(pool.id) ?? '';
        this.set({ repo: pool.repoId, pool: pool.id, image: pool.runnerImage, version }, 1);
      }
    },
  });
  const scaleSetGauge = (
    name: string,
    help: string,
    read: (s: ScaleSetReading) => number | undefined,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['repo', 'pool'] as const,
      registers,
      collect() {
        this.reset();
        for (const pool of sources.pools) {
          const reading = sources.scaleSet?.(pool.id);
          const value = reading ? read(reading) : undefined;
          if (value !== undefined) this.set({ repo: pool.repoId, pool: pool.id }, value);
        }
      },
    });
  scaleSetGauge(
    'autoscaler_scaleset_listening',
    'Whether a scale-set pool holds a message session and polls its queue (1) or not (0)',
    (s) => (s.listening ? 1 : 0),
  );
  scaleSetGauge(
    'autoscaler_scaleset_assigned_jobs',
    "Jobs assigned to a pool's scale set (waiting or running), from its statistics",
    (s) => s.assignedJobs,
  );
  scaleSetGauge(
    'autoscaler_scaleset_poll_age_seconds',
    "Seconds since the Actions service last answered a scale set's listener (its queue, or a probe when the queue is quiet)",
    (s) => (s.sincePollMs === undefined ? undefined : s.sincePollMs / 1000),
  );
  new Gauge({
    name: 'autoscaler_runner_outdated',
    help: "1 when a newer actions/runner release than the pool's runner image has been out for more than 7 days",
    labelNames: ['repo', 'pool'] as const,
    registers,
    collect() {
      this.reset();
      for (const pool of sources.pools) {
        const freshness = sources.runnerFreshness?.(pool.id);
        if (freshness) this.set({ repo: pool.repoId, pool: pool.id }, freshness.outdated ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'autoscaler_runner_update_deadline_timestamp_seconds',
    help: "When GitHub stops queueing jobs to the pool's runner version (30 days after the release that followed it); only for pools behind",
    labelNames: ['repo', 'pool'] as const,
    registers,
    collect() {
      this.reset();
      for (const pool of sources.pools) {
        const deadline = sources.runnerFreshness?.(pool.id)?.deadline;
        if (deadline !== undefined) this.set({ repo: pool.repoId, pool: pool.id }, deadline / 1000);
      }
    },
  });
  new Gauge({
    name: 'autoscaler_runners',
    help: 'Runner containers by pool and state',
    labelNames: ['repo', 'pool', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const pool of sources.pools)
        for (const state of STATES) this.set({ repo: pool.repoId, pool: pool.id, state }, 0);
      for (const runner of sources.runners()) {
        const repo = repoOf.get(runner.poolId) ?? '';
        this.inc({ repo, pool: runner.poolId, state: runner.phase });
      }
    },
  });
  new Gauge({
    name: 'autoscaler_runners_max',
    help: 'Cap on runner containers; pool="" is the global MAX_RUNNERS',
    labelNames: ['repo', 'pool'] as const,
    registers,
    collect() {
      this.set({ repo: '', pool: '' }, sources.maxRunners);
      for (const pool of sources.pools)
        this.set({ repo: pool.repoId, pool: pool.id }, pool.maxRunners);
    },
  });
  new Gauge({
    name: 'autoscaler_runner_capacity',
    help: 'Runner containers the Docker engines can hold in all',
    registers,
    collect() {
      this.set(sources.capacity());
    },
  });
  new Gauge({
    name: 'autoscaler_jobs_waiting',
    help: 'Served jobs queued and not yet taken by a runner',
    labelNames: ['repo', 'pool'] as const,
    registers,
    collect() {
      for (const pool of sources.pools)
        this.set({ repo: pool.repoId, pool: pool.id }, sources.waitingJobs(pool.id));
    },
  });
}

type CounterMaker = <L extends string>(
  name: string,
  help: string,
  labelNames: readonly L[],
) => Counter<L>;

function events(counter: CounterMaker, registers: Registry[]) {
  return {
    deliveries: counter(
      'autoscaler_webhook_deliveries_total',
      'Webhook deliveries received, by result',
      ['repo', 'result'],
    ),
    jobEvents: counter('autoscaler_job_events_total', 'Job state changes booked, by action', [
      'repo',
      'pool',
      'action',
    ]),
    unservedJobs: counter(
      'autoscaler_jobs_unserved_total',
      'Queued jobs no pool serves: no pool has all their labels',
      ['repo'],
    ),
    givenUpJobs: counter(
      'autoscaler_jobs_given_up_total',
      'Jobs given up because their runners kept exiting before taking them',
      ['repo', 'pool'],
    ),
    queueSeconds: new Histogram({
      name: 'autoscaler_job_queue_seconds',
      help: 'Time from queued until a runner was started for it (until="runner_started") or took it (until="in_progress")',
      labelNames: ['repo', 'pool', 'until'] as const,
      buckets: QUEUE_BUCKETS,
      registers,
    }),
    jobSeconds: new Histogram({
      name: 'autoscaler_job_duration_seconds',
      help: 'Time from in_progress to completed, by conclusion',
      labelNames: ['repo', 'pool', 'conclusion'] as const,
      buckets: DURATION_BUCKETS,
      registers,
    }),
    spawnSeconds: new Histogram({
      name: 'autoscaler_runner_spawn_seconds',
      help: 'Time to register a runner and start its container',
      labelNames: ['repo', 'pool'] as const,
      buckets: SPAWN_BUCKETS,
      registers,
    }),
    spawnFailures: counter(
      'autoscaler_runner_spawn_failures_total',
      'Runners that failed to register or start',
      ['repo', 'pool'],
    ),
    earlyExits: counter(
      'autoscaler_runner_early_exits_total',
      'Runners that exited before taking a job',
      ['repo', 'pool'],
    ),
    removals: counter('autoscaler_runners_removed_total', 'Runner containers removed, by reason', [
      'repo',
      'pool',
      'reason',
    ]),
    resyncs: counter('autoscaler_resyncs_total', 'Resyncs with GitHub, by result', [
      'repo',
      'result',
    ]),
    redeliveries: counter(
      'autoscaler_redeliveries_total',
      'Failed webhook deliveries redelivered, by result',
      ['repo', 'result'],
    ),
    githubRequests: counter(
      'autoscaler_github_requests_total',
      'HTTP requests to the GitHub API, by credential and status class',
      ['credential', 'status'],
    ),
    rateLimitRemaining: new Gauge({
      name: 'autoscaler_github_rate_limit_remaining',
      help: 'Requests left in the current GitHub rate-limit window (x-ratelimit-remaining)',
      labelNames: ['credential'] as const,
      registers,
    }),
    secondaryLimits: counter(
      'autoscaler_github_secondary_limits_total',
      'Secondary rate-limit answers from GitHub (the credential waited and slowed down)',
      ['credential'],
    ),
    resyncCycleSeconds: new Gauge({
      name: 'autoscaler_resync_cycle_seconds',
      help: 'How long the resync takes to read every repository of a credential once, within its request budget',
      labelNames: ['credential'] as const,
      registers,
    }),
    dockerErrors: counter(
      'autoscaler_docker_errors_total',
      'Failed Docker engine operations, by operation',
      ['operation'],
    ),
  };
}
