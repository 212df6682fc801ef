import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { bindGauges, type GaugeSources } from './gauges.ts';

export type Metrics = ReturnType<typeof createMetrics>;

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
  const counters = events(counter, registers);
  return {
    registry,
    /** The gauges read the status model when scraped; bound once the controller's parts exist. */
    bindSources: (sources: GaugeSources) => {
      bindGauges(registers, sources);
      // Each pool's failure counters exist from the start, at 0: increase() and rate() count
      // from a series' first sample, so a counter born with its first failure would hide it.
      for (const { repoId: repo, id: pool } of sources.config.pools) {
        counters.spawnFailures.inc({ repo, pool }, 0);
        counters.earlyExits.inc({ repo, pool }, 0);
        counters.givenUpJobs.inc({ repo, pool }, 0);
        counters.jobEvents.inc({ repo, pool, action: 'in_progress' }, 0);
      }
    },
    ...counters,
  };
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
