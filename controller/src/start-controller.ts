import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/load-config.ts';
import type { PoolGitHub } from './github/pool-github.ts';
import type { Reachability } from './github/reachability.ts';
import { buildApp } from './http/build-app.ts';
import { healthReport, type HealthSources } from './http/health.ts';
import { recentJobs } from './http/status-view.ts';
import { DeliveryLog } from './jobs/delivery-log.ts';
import { JobBook } from './jobs/job-book.ts';
import { jobMetrics } from './metrics/job-metrics.ts';
import type { Metrics } from './metrics/metrics.ts';
import { Reconciler } from './reconcile/reconciler.ts';
import { Resyncer } from './reconcile/resyncer.ts';
import type { RunnerRuntime } from './runners/runtime.ts';
import { handleDelivery } from './webhook/handle-delivery.ts';
import { HookManager } from './webhook/hook-manager.ts';
import { createHookStateStore } from './webhook/hook-state.ts';

export type ControllerDeps = {
  config: Config;
  log: Logger;
  runtime: RunnerRuntime;
  github: (poolId: string) => PoolGitHub;
  secrets: Map<string, string>;
  reachability: (poolId: string) => Reachability | undefined;
  metrics: Metrics;
  now: () => number;
};

export type Controller = {
  app: FastifyInstance;
  reconciler: Reconciler;
  shutdown: () => Promise<void>;
};

/** Wires the parts together; clients and configuration come in from main.ts. */
export function startController(deps: ControllerDeps): Controller {
  const { config, log, runtime, now, metrics } = deps;
  const jobs = new JobBook({ onChange: jobMetrics(metrics) });
  const deliveries = new DeliveryLog();
  const reconciler = new Reconciler({
    pools: config.pools,
    maxRunners: config.maxRunners,
    idleTimeoutMs: config.runnerIdleTimeoutSeconds * 1000,
    jobs,
    runtime,
    github: deps.github,
    log,
    now,
    events: {
      spawned: (repo, durationMs, jobId) => {
        metrics.spawnSeconds.observe({ repo }, durationMs / 1000);
        const job = jobId === undefined ? undefined : jobs.get(jobId);
        if (job)
          metrics.queueSeconds.observe(
            { repo, until: 'runner_started' },
            (now() - job.queuedAt) / 1000,
          );
      },
      spawnFailed: (repo) => metrics.spawnFailures.inc({ repo }),
      exitedEarly: (repo) => metrics.earlyExits.inc({ repo }),
      gaveUp: (repo) => metrics.givenUpJobs.inc({ repo }),
      removed: (repo, reason) => metrics.removals.inc({ repo, reason }),
      dockerError: (operation) => metrics.dockerErrors.inc({ operation }),
    },
  });
  metrics.bindSources({
    runners: () => reconciler.runners(),
    waitingJobs: (poolId) => jobs.waiting(poolId).length,
    pools: config.pools,
    maxRunners: config.maxRunners,
    capacity: () => runtime.capacity(),
  });
  const healthSources: HealthSources = {
    config,
    jobs,
    runners: () => reconciler.runners(),
    engineError: () => reconciler.engineError(),
    poolHealth: (poolId) => reconciler.poolHealth(poolId),
    githubHealth: (poolId) => {
      const sync = resyncer.health(poolId);
      const reach = deps.reachability(poolId);
      if (!sync || !reach || reach.reachable) return sync;
      return { ...sync, reachable: false, lastError: reach.lastError ?? sync.lastError };
    },
    hookHealth: (poolId) => hookManager?.health(poolId),
  };
  let accepting = true;
  const app = buildApp({
    log,
    bodyLimit: config.webhookBodyLimitBytes,
    registry: metrics.registry,
    accepting: () => accepting,
    health: () => healthReport(healthSources, now()),
    status: () => ({
      health: healthReport(healthSources, now()),
      recentJobs: recentJobs(jobs.all(), now()),
      generatedAt: new Date(now()).toISOString(),
    }),
    handleDelivery: (delivery) =>
      handleDelivery(
        {
          pools: config.pools,
          secretOf: (poolId) => deps.secrets.get(poolId) ?? '',
          jobs,
          deliveries,
          onChange: () => reconciler.trigger(),
          log,
          now,
          onResult: (result, poolId) => metrics.deliveries.inc({ repo: poolId ?? '', result }),
          onUnserved: (repo) => metrics.unservedJobs.inc({ repo }),
        },
        delivery,
      ),
  });
  const stopWatching = runtime.watch((event) => {
    if (event.kind === 'engine-down') {
      log.warn({ engine: event.engineId, err: event.error }, 'docker engine unreachable');
      reconciler.engineDown(event.error);
      return;
    }
    reconciler.noteDeaths(event.died);
  });
  const hookManager = config.webhookHost
    ? new HookManager({
        webhookHost: config.webhookHost,
        mode: config.mode,
        hooks: (poolId) => deps.github(poolId).hooks(),
        secretOf: (poolId) => deps.secrets.get(poolId) ?? '',
        store: createHookStateStore(config.dataDir),
        onRedelivery: (repo, result) => metrics.redeliveries.inc({ repo, result }),
        log,
        now,
      })
    : undefined;
  const resyncer = new Resyncer({
    pools: config.pools,
    github: deps.github,
    jobs,
    target: reconciler,
    log,
    now,
    intervalMs: config.resyncIntervalSeconds * 1000,
    onResync: (repo, result) => metrics.resyncs.inc({ repo, result }),
    // Hook trouble is reported on its own (health, log) and does not mark GitHub unreachable.
    extra: hookManager ? (pool) => hookManager.tend(pool).catch(() => undefined) : undefined,
  });
  resyncer.start();
  reconciler.trigger();

  return {
    app,
    reconciler,
    shutdown: async () => {
      accepting = false;
      stopWatching();
      await Promise.all([resyncer.stop(), reconciler.stop()]);
      await app.close();
    },
  };
}
