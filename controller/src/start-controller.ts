import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { scaleSetPools, webhookEntries, type ScaleSetPoolConfig } from './config/job-sources.ts';
import type { Config } from './config/load-config.ts';
import type { Registrar } from './domain/registrar.ts';
import type { RepoGitHub } from './github/repo-github.ts';
import { restRegistrar } from './github/rest-registrar.ts';
import type { Reachability } from './github/reachability.ts';
import { buildApp } from './http/build-app.ts';
import { healthReport, type HealthSources } from './http/health.ts';
import { recentJobs } from './http/status-view.ts';
import { DeliveryLog } from './jobs/delivery-log.ts';
import { JobBook } from './jobs/job-book.ts';
import { createJobIntake } from './jobs/job-intake.ts';
import { UnservedJobs } from './jobs/unserved-jobs.ts';
import { WaitingJobs } from './jobs/waiting-jobs.ts';
import { jobMetrics } from './metrics/job-metrics.ts';
import type { Metrics } from './metrics/metrics.ts';
import { Reconciler } from './reconcile/reconciler.ts';
import { Resyncer } from './reconcile/resyncer.ts';
import type { CredentialPace } from './github/credential-pace.ts';
import type { RunnerReleases } from './github/runner-releases.ts';
import { ImageKeeper } from './runners/image-keeper.ts';
import type { ActionsClient } from './scaleset/actions-client.ts';
import { ScaleSetPools } from './scaleset/scale-set-pools.ts';
import type { ScaleSetSource } from './scaleset/scale-set-source.ts';
import { runnerFreshness } from './runners/runner-freshness.ts';
import type { RunnerRuntime } from './runners/runtime.ts';
import { handleDelivery } from './webhook/handle-delivery.ts';
import { HookManager } from './webhook/hook-manager.ts';
import { createHookStateStore } from './webhook/hook-state.ts';

export type ControllerDeps = {
  config: Config;
  log: Logger;
  runtime: RunnerRuntime;
  github: (repoId: string) => RepoGitHub;
  secrets: Map<string, string>;
  reachability: (repoId: string) => Reachability | undefined;
  /** The credential a repository entry uses (entries sharing one share its limits). */
  credentialOf?: (repoId: string) => string;
  /** Requests made so far with a credential, to measure what a resync costs. */
  requestsMade?: (credential: string) => number;
  /** Each credential's pace (by name), for /health. */
  paces?: () => ReadonlyMap<string, CredentialPace>;
  metrics: Metrics;
  now: () => number;
  /** actions/runner's releases, read once a day, against which each pool's runner is dated. */
  releases?: RunnerReleases;
  /**
   * Aborts the GitHub requests under way (those a shutdown stops waiting for) and returns how
   * many it aborted.
   */
  abortRequests?: () => number;
  /** Scale-set pools' clients: the Actions service of a repository, a pool's source. */
  scaleSets?: {
    actions: (repoId: string) => ActionsClient;
    source: (pool: ScaleSetPoolConfig) => ScaleSetSource;
  };
};

/** How long a shutdown waits for spawns and a resync under way before it abandons them. */
export const SHUTDOWN_GRACE_MS = 6_000;
const AFTER_ABORT_MS = 500;

export type Controller = {
  app: FastifyInstance;
  reconciler: Reconciler;
  /** Stops intake and loops; waits up to `graceMs` for work under way, then abandons it. */
  shutdown: (graceMs?: number) => Promise<void>;
};

/** Wires the parts together; clients and configuration come in from main.ts. */
export function startController(deps: ControllerDeps): Controller {
  const { config, log, runtime, now, metrics } = deps;
  const jobs = new JobBook({ onChange: jobMetrics(metrics) });
  const waiting = new WaitingJobs(jobs);
  const deliveries = new DeliveryLog();
  const unserved = new UnservedJobs();
  // Entries whose jobs come by webhook: only they need a secret, a hook and a job resync.
  const webhookRepos = webhookEntries(config.repos);
  const images = new ImageKeeper({
    pools: config.pools,
    runtime,
    log,
    now,
    pullIntervalMs: config.pullIntervalSeconds * 1000,
  });
  const setPools = scaleSetPools(config.pools);
  const factory = deps.scaleSets;
  if (setPools.length > 0 && !factory) throw new Error('scale-set pools need an Actions client');
  const scaleSets: ScaleSetPools | undefined =
    factory && setPools.length > 0
      ? new ScaleSetPools({
          pools: setPools,
          source: (pool) => factory.source(pool),
          actions: (pool) => factory.actions(pool.repoId),
          log,
        })
      : undefined;
  const registrars = new Map<string, Registrar>([
    ...webhookRepos.flatMap((repo) =>
      repo.pools.map((pool): [string, Registrar] => [
        pool.id,
        restRegistrar(deps.github(pool.repoId), pool),
      ]),
    ),
    ...(scaleSets?.registrars() ?? []),
  ]);
  const releases = deps.releases;
  const freshness = (poolId: string) =>
    releases ? runnerFreshness(images.state(poolId)?.version, releases.feed(), now()) : undefined;
  const repoOf = new Map(config.pools.map((pool) => [pool.id, pool.repoId]));
  const poolLabels = (pool: string) => ({ repo: repoOf.get(pool) ?? '', pool });
  const reconciler: Reconciler = new Reconciler({
    pools: config.pools,
    maxRunners: config.maxRunners,
    idleTimeoutMs: config.runnerIdleTimeoutSeconds * 1000,
    jobs,
    waitingJobs: (poolId) => waiting.count(poolId),
    runtime,
    registrars,
    log,
    now,
    events: {
      spawned: (pool, durationMs, jobId) => {
        metrics.spawnSeconds.observe(poolLabels(pool), durationMs / 1000);
        const job = jobId === undefined ? undefined : jobs.find(jobId, pool);
        if (job)
          metrics.queueSeconds.observe(
            { ...poolLabels(pool), until: 'runner_started' },
            (now() - job.queuedAt) / 1000,
          );
      },
      spawnFailed: (pool) => metrics.spawnFailures.inc(poolLabels(pool)),
      exitedEarly: (pool) => metrics.earlyExits.inc(poolLabels(pool)),
      gaveUp: (pool) => metrics.givenUpJobs.inc(poolLabels(pool)),
      removed: (pool, reason) => metrics.removals.inc({ ...poolLabels(pool), reason }),
      dockerError: (operation) => metrics.dockerErrors.inc({ operation }),
    },
  });
  const intake = createJobIntake({
    jobs,
    waiting,
    capacity: (poolId) => reconciler.capacityFor(poolId),
    onChange: () => reconciler.trigger(),
  });
  metrics.bindSources({
    runners: () => reconciler.runners(),
    waitingJobs: (poolId) => waiting.count(poolId),
    pools: config.pools,
    maxRunners: config.maxRunners,
    capacity: () =>
      runtime
        .engines()
        .filter((engine) => engine.up)
        .reduce((sum, engine) => sum + engine.capacity, 0),
    build: config.build,
    runnerImageVersion: (poolId) => images.state(poolId)?.version,
    scaleSet: (poolId) => {
      const health = scaleSets?.health(poolId);
      if (!health) return undefined;
      return {
        listening: health.state === 'listening',
        assignedJobs: health.statistics?.totalAssignedJobs,
        sincePollMs: health.sincePollMs,
      };
    },
    runnerFreshness: freshness,
  });
  const healthSources: HealthSources = {
    config,
    waitingJobs: (poolId) => waiting.count(poolId),
    runners: () => reconciler.runners(),
    engineError: () => reconciler.engineError(),
    engines: () => runtime.engines(),
    poolHealth: (poolId) => reconciler.poolHealth(poolId),
    githubHealth: (repoId) => {
      const sync = resyncer.health(repoId);
      const reach = deps.reachability(repoId);
      if (!sync || !reach || reach.reachable) return sync;
      return { ...sync, reachable: false, lastError: reach.lastError ?? sync.lastError };
    },
    hookHealth: (repoId) => hookManager?.health(repoId),
    scaleSetHealth: (poolId) => scaleSets?.health(poolId),
    unserved: () => unserved.list(),
    imageHealth: (poolId) => {
      const image = images.state(poolId);
      if (!image) return undefined;
      return {
        version: image.version ?? null,
        revision: image.revision ?? null,
        ...(image.pullError ? { pullError: image.pullError } : {}),
      };
    },
    ...(releases ? { runnerReleases: () => releases.feed(), freshness } : {}),
    resyncIntervalSeconds: config.resyncIntervalSeconds,
    credentials: () =>
      resyncer.rounds().map((round) => {
        const pace = deps.paces?.().get(round.credential)?.state();
        return {
          name: round.credential,
          repositories: round.repositories,
          pointsLastMinute: pace?.pointsLastMinute ?? 0,
          contentLastMinute: pace?.contentLastMinute ?? 0,
          pausedForSeconds: Math.ceil((pace?.pausedForMs ?? 0) / 1000),
          secondaryLimitAnswers: pace?.penalties ?? 0,
          resyncBudgetPerMinute: config.resyncBudgetPerMinute,
          resyncRoundSeconds:
            round.lastRoundMs === undefined ? null : Math.round(round.lastRoundMs / 100) / 10,
        };
      }),
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
          repos: webhookRepos,
          secretOf: (repoId) => deps.secrets.get(repoId) ?? '',
          intake,
          deliveries,
          unserved,
          log,
          now,
          onResult: (result, repoId) => {
            metrics.deliveries.inc({ repo: repoId ?? '', result });
            // Its resync comes first while it has traffic: fast recovery where jobs run.
            if (repoId !== undefined && result === 'accepted') resyncer.noteTraffic(repoId);
          },
          onUnserved: (repo) => metrics.unservedJobs.inc({ repo }),
        },
        delivery,
      ),
  });
  const stopWatching = runtime.watch((event) => {
    if (event.kind === 'engine-down') {
      log.debug({ engine: event.engineId, err: event.error }, 'docker engine event stream lost');
      reconciler.engineDown();
      return;
    }
    reconciler.noteDeaths(event.died);
  });
  const hookManager = config.webhookHost
    ? new HookManager({
        webhookHost: config.webhookHost,
        insecureSsl: config.webhookInsecureSsl,
        mode: config.mode,
        hooks: (repoId) => deps.github(repoId).hooks(),
        secretOf: (repoId) => deps.secrets.get(repoId) ?? '',
        store: createHookStateStore(config.dataDir),
        onRedelivery: (repo, result) => metrics.redeliveries.inc({ repo, result }),
        log,
        now,
      })
    : undefined;
  const fed = new Set(webhookRepos.map((repo) => repo.id));
  const resyncer = new Resyncer({
    repos: config.repos,
    webhookRepos,
    github: deps.github,
    jobs,
    intake,
    target: reconciler,
    log,
    now,
    intervalMs: config.resyncIntervalSeconds * 1000,
    budgetPerMinute: config.resyncBudgetPerMinute,
    ...(deps.credentialOf ? { credentialOf: deps.credentialOf } : {}),
    ...(deps.requestsMade ? { requestsMade: deps.requestsMade } : {}),
    onResync: (repo, result) => metrics.resyncs.inc({ repo, result }),
    onCycle: (credential, seconds) => metrics.resyncCycleSeconds.set({ credential }, seconds),
    // Hook trouble is reported on its own (health, log) and does not mark GitHub unreachable.
    extra: hookManager
      ? (repo) =>
          fed.has(repo.id) ? hookManager.tend(repo).catch(() => undefined) : Promise.resolve()
      : undefined,
  });
  resyncer.start();
  images.start();
  scaleSets?.start(intake);
  releases?.start();
  reconciler.trigger();

  return {
    app,
    reconciler,
    shutdown: async (graceMs = SHUTDOWN_GRACE_MS) => {
      accepting = false;
      stopWatching();
      const stopped = Promise.all([
        resyncer.stop(),
        reconciler.stop(),
        images.stop(),
        // A session left open makes the next controller wait until it expires.
        scaleSets?.stop(),
        releases?.stop(),
      ]).then(() => true);
      if (!(await within(stopped, graceMs))) {
        // GitHub (or the engine) does not answer: what is under way is left, and said so once.
        const spawns = reconciler.spawnsInFlight();
        const requests = deps.abortRequests?.() ?? 0;
        log.warn(
          { spawnsLeft: spawns, githubRequestsAborted: requests, waitedMs: graceMs },
          'shutdown: work under way abandoned',
        );
        await within(stopped, AFTER_ABORT_MS);
      }
      await app.close();
    },
  };
}

/** Whether `work` settled within `ms`. */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
