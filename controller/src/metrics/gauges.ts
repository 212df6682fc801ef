import { Gauge, type Registry } from 'prom-client';
import { WAIT_REASONS } from '../reconcile/wait-types.ts';
import type { ScaleSetHealth } from '../scaleset/scale-set-source.ts';
import { poolFreshness, type StatusModel } from '../status/status-model.ts';

/** What the gauges read when scraped: the status model /health reads. */
export type GaugeSources = Pick<
  StatusModel,
  'runners' | 'waits' | 'engines' | 'image' | 'scaleSet' | 'releases' | 'now'
> & { config: Pick<StatusModel['config'], 'pools' | 'maxRunners' | 'build'> };

const STATES = ['starting', 'idle', 'busy', 'exited'] as const;

export function bindGauges(registers: Registry[], sources: GaugeSources): void {
  const { pools, maxRunners, build } = sources.config;
  const repoOf = new Map(pools.map((pool) => [pool.id, pool.repoId]));
  new Gauge({
    name: 'autoscaler_build_info',
    help: 'The running controller: its version and source revision (always 1)',
    labelNames: ['version', 'revision'] as const,
    registers,
    collect() {
      this.set(build, 1);
    },
  });
  new Gauge({
    name: 'autoscaler_runner_image_info',
    help: "Each pool's runner image and the version its label gives (always 1)",
    labelNames: ['repo', 'pool', 'image', 'version'] as const,
    registers,
    collect() {
      this.reset();
      for (const pool of pools) {
        const version = sources.image(pool.id)?.version ?? '';
        this.set({ repo: pool.repoId, pool: pool.id, image: pool.runnerImage, version }, 1);
      }
    },
  });
  const scaleSetGauge = (
    name: string,
    help: string,
    read: (s: ScaleSetHealth) => number | undefined,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['repo', 'pool'] as const,
      registers,
      collect() {
        this.reset();
        for (const pool of pools) {
          const reading = sources.scaleSet(pool.id);
          const value = reading ? read(reading) : undefined;
          if (value !== undefined) this.set({ repo: pool.repoId, pool: pool.id }, value);
        }
      },
    });
  scaleSetGauge(
    'autoscaler_scaleset_listening',
    'Whether a scale-set pool holds a message session and polls its queue (1) or not (0)',
    (s) => (s.state === 'listening' ? 1 : 0),
  );
  scaleSetGauge(
    'autoscaler_scaleset_assigned_jobs',
    "Jobs assigned to a pool's scale set (waiting or running), from its statistics",
    (s) => s.statistics?.totalAssignedJobs,
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
      for (const pool of pools) {
        const freshness = poolFreshness(sources, pool.id);
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
      for (const pool of pools) {
        const deadline = poolFreshness(sources, pool.id)?.deadline;
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
      for (const pool of pools)
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
      this.set({ repo: '', pool: '' }, maxRunners);
      for (const pool of pools) this.set({ repo: pool.repoId, pool: pool.id }, pool.maxRunners);
    },
  });
  new Gauge({
    name: 'autoscaler_runner_capacity',
    help: 'Runner containers the Docker engines can hold in all',
    registers,
    collect() {
      const up = sources.engines().filter((engine) => engine.up);
      this.set(up.reduce((sum, engine) => sum + engine.capacity, 0));
    },
  });
  new Gauge({
    name: 'autoscaler_engine_up',
    help: 'Whether a Docker engine answered its last listing (1) or not (0)',
    labelNames: ['engine'] as const,
    registers,
    collect() {
      this.reset();
      for (const engine of sources.engines()) this.set({ engine: engine.id }, engine.up ? 1 : 0);
    },
  });
  bindWaitGauges(registers, sources);
}

/**
 * Waiting jobs by pool and reason. Every pool has a series for every reason (0 when none), so
 * that `sum without (reason)` is the pool's waiting count the planner reads, as it was before
 * the reason label; jobs no pool serves count under `pool=""`, `reason="no-pool"`.
 */
function bindWaitGauges(registers: Registry[], sources: GaugeSources): void {
  const { pools } = sources.config;
  const poolReasons = WAIT_REASONS.filter((reason) => reason !== 'no-pool');
  const repos = [...new Set(pools.map((pool) => pool.repoId))];
  new Gauge({
    name: 'autoscaler_jobs_waiting',
    help: 'Jobs queued and not yet taken by a runner, by pool and why they wait (pool="": no pool serves them)',
    labelNames: ['repo', 'pool', 'reason'] as const,
    registers,
    collect() {
      this.reset();
      for (const pool of pools)
        for (const reason of poolReasons) this.set({ repo: pool.repoId, pool: pool.id, reason }, 0);
      for (const repo of repos) this.set({ repo, pool: '', reason: 'no-pool' }, 0);
      for (const count of sources.waits().counts)
        this.set({ repo: count.repoId, pool: count.poolId, reason: count.reason }, count.jobs);
    },
  });
  new Gauge({
    name: 'autoscaler_job_wait_oldest_seconds',
    help: 'How long the oldest job waiting in a pool for one reason has waited (pool="": no pool serves it)',
    labelNames: ['repo', 'pool', 'reason'] as const,
    registers,
    collect() {
      this.reset();
      const now = sources.now();
      for (const count of sources.waits().counts) {
        if (count.oldestQueuedAt === undefined) continue;
        const labels = { repo: count.repoId, pool: count.poolId, reason: count.reason };
        this.set(labels, Math.max(0, (now - count.oldestQueuedAt) / 1000));
      }
    },
  });
}
