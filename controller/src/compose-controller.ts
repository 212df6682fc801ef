import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { scaleSetPools, webhookEntries } from './config/job-sources.ts';
import type { Config } from './config/load-config.ts';
import type { Registrar } from './domain/registrar.ts';
import { createAbortableFetch } from './github/abortable-fetch.ts';
import { CredentialClients } from './github/credential-clients.ts';
import { CredentialReach } from './github/reachability.ts';
import { createRepoGitHub, type RepoGitHub } from './github/repo-github.ts';
import { restRegistrar } from './github/rest-registrar.ts';
import { RunnerReleases } from './github/runner-releases.ts';
import { buildApp } from './http/build-app.ts';
import { DeliveryLog } from './jobs/delivery-log.ts';
import { JobBook } from './jobs/job-book.ts';
import { createJobIntake } from './jobs/job-intake.ts';
import { UnservedJobs } from './jobs/unserved-jobs.ts';
import { WaitingJobs } from './jobs/waiting-jobs.ts';
import { observeAttempts } from './metrics/attempt-observer.ts';
import { jobMetrics } from './metrics/job-metrics.ts';
import { createMetrics } from './metrics/metrics.ts';
import { runnerMetrics } from './metrics/runner-metrics.ts';
import { Reconciler } from './reconcile/reconciler.ts';
import { cachePlanOf } from './runners/cache-volumes.ts';
import { createDockerRuntime } from './runners/docker-runtime.ts';
import { dockerEngines } from './runners/engine-clients.ts';
import { ImageKeeper } from './runners/image-keeper.ts';
import { readDockerConfig, registryAuthFrom } from './runners/registry-auth.ts';
import { RepoResync } from './resync/repo-resync.ts';
import { ResyncSchedule } from './resync/resync-schedule.ts';
import { actionsClients } from './scaleset/actions-clients.ts';
import { ScaleSetPools } from './scaleset/scale-set-pools.ts';
import { createScaleSetSource } from './scaleset/scale-set-source.ts';
import { shutDown, SHUTDOWN_GRACE_MS } from './shutdown.ts';
import { credentialHealth } from './status/credential-health.ts';
import { githubHealth } from './status/github-health.ts';
import { healthReport } from './status/health-report.ts';
import type { StatusModel } from './status/status-model.ts';
import { statusView } from './status/status-view.ts';
import { handleDelivery } from './webhook/handle-delivery.ts';
import { HookManager } from './webhook/hook-manager.ts';
import { createHookStateStore } from './webhook/hook-state.ts';
import { loadWebhookSecret } from './webhook/secret-store.ts';

const DOCKER_API_TIMEOUT_MS = 30_000;

/** What the process gives the controller: its configuration and its ways to the outside. */
export type ControllerHost = {
  config: Config;
  log: Logger;
  fetch: typeof fetch;
  readFile: (path: string) => Buffer;
  /** The group owning a file (the Docker socket), when it exists. */
  fileGroup: (path: string) => number | undefined;
  hostname: string;
  now: () => number;
};

export type Controller = {
  app: FastifyInstance;
  reconciler: Reconciler;
  /** Stops intake and loops; waits up to `graceMs` for work under way, then abandons it. */
  shutdown: (graceMs?: number) => Promise<void>;
};

/**
 * The composition root: every part of the controller made once, in the order they depend on
 * each other, and started. Nothing here decides anything; the parts do.
 */
export async function composeController(host: ControllerHost): Promise<Controller> {
  const { config, log, now } = host;
  const metrics = createMetrics();

  // GitHub: one client, pace and reachability per credential, shared by the entries using it.
  const requests = createAbortableFetch(host.fetch);
  const reach = new CredentialReach();
  const clients = new CredentialClients({
    fetch: requests.fetch,
    log,
    now,
    onAttempt: (credential) =>
      observeAttempts(credential, reach.of(credential), metrics, log.child({ credential })),
  });
  const github = new Map(
    config.repos.map((repo) => [repo.id, createRepoGitHub(repo, clients.clientFor(repo))]),
  );
  const githubOf = (repoId: string): RepoGitHub => known(github.get(repoId), repoId);
  const credentialOf = (repoId: string): string =>
    clients.credentialOf(
      known(
        config.repos.find((repo) => repo.id === repoId),
        repoId,
      ),
    );
  // A public repository: no credential, and not the client of any entry.
  const releases = new RunnerReleases({
    url: config.runnerReleasesUrl,
    fetch: host.fetch,
    log,
    now,
  });

  // Docker.
  const runtime = createDockerRuntime({
    engines: dockerEngines(config.engines, config.maxRunners, {
      readFile: host.readFile,
      socketGroup: host.fileGroup,
      apiTimeoutMs: DOCKER_API_TIMEOUT_MS,
    }),
    controllerId: config.controllerId,
    probeImages: [...new Set(config.pools.map((pool) => pool.runnerImage))],
    registryAuth: registryAuthFrom(
      readDockerConfig(config.dockerConfigDir, (path) => host.readFile(path).toString('utf8')),
    ),
    cachePlan: cachePlanOf(config.pools),
    log,
  });
  const images = new ImageKeeper({
    pools: config.pools,
    runtime,
    log,
    now,
    pullIntervalMs: config.pullIntervalSeconds * 1000,
  });

  // Jobs, and the sources that feed them: webhooks (with resync and redelivery), scale sets.
  const jobs = new JobBook({ onChange: jobMetrics(metrics) });
  const waiting = new WaitingJobs(jobs);
  const deliveries = new DeliveryLog();
  const unserved = new UnservedJobs();
  const webhookRepos = webhookEntries(config.repos);
  const secrets = new Map<string, string>();
  for (const repo of webhookRepos) {
    const { secret, source } = await loadWebhookSecret(config.dataDir, repo.id, repo.webhookSecret);
    secrets.set(repo.id, secret);
    log.info({ repo: repo.id, source }, 'webhook secret loaded');
  }
  const secretOf = (repoId: string): string => secrets.get(repoId) ?? '';
  const actionsOf = actionsClients({
    repos: config.repos,
    github: githubOf,
    fetch: requests.fetch,
    log,
  });
  const scaleSets = new ScaleSetPools({
    pools: scaleSetPools(config.pools),
    source: (pool) =>
      createScaleSetSource({
        actions: actionsOf(pool.repoId),
        scaleSetName: pool.jobSource.scaleSetName,
        runnerGroup: pool.runnerGroup,
        ownerName: `${host.hostname}/${config.controllerId}`,
        log: log.child({ pool: pool.id }),
      }),
    actions: (pool) => actionsOf(pool.repoId),
    log,
  });

  // Runners: each pool's registrar, then the reconciler, which the sources report to.
  const registrars = new Map<string, Registrar>([
    ...webhookRepos.flatMap((repo) =>
      repo.pools.map((pool): [string, Registrar] => [
        pool.id,
        restRegistrar(githubOf(repo.id), pool),
      ]),
    ),
    ...scaleSets.registrars(),
  ]);
  const repoOf = (poolId: string): string =>
    config.pools.find((pool) => pool.id === poolId)?.repoId ?? '';
  const reconciler = new Reconciler({
    pools: config.pools,
    maxRunners: config.maxRunners,
    idleTimeoutMs: config.runnerIdleTimeoutSeconds * 1000,
    // The engines are re-read every interval, however long GitHub's reads take.
    intervalMs: config.resyncIntervalSeconds * 1000,
    jobs,
    waitingJobs: (poolId) => waiting.count(poolId),
    runtime,
    registrars,
    log,
    now,
    events: runnerMetrics(metrics, {
      repoOf,
      queuedAt: (jobId, poolId) => jobs.find(jobId, poolId)?.queuedAt,
      now,
    }),
  });
  const intake = createJobIntake({
    jobs,
    waiting,
    capacity: (poolId) => reconciler.capacityFor(poolId),
    onChange: () => reconciler.trigger(),
  });
  const hooks = config.webhookHost
    ? new HookManager({
        webhookHost: config.webhookHost,
        insecureSsl: config.webhookInsecureSsl,
        mode: config.mode,
        hooks: (repoId) => githubOf(repoId).hooks(),
        secretOf,
        store: createHookStateStore(config.dataDir),
        onRedelivery: (repo, result) => metrics.redeliveries.inc({ repo, result }),
        log,
        now,
      })
    : undefined;
  const fed = new Map(webhookRepos.map((repo) => [repo.id, repo]));
  const repoResync = new RepoResync({
    repos: config.repos,
    github: githubOf,
    fed: (repoId) => fed.get(repoId),
    jobs,
    intake,
    onRunners: (repoId, runners) => reconciler.noteRegistered(repoId, runners),
    // Hook trouble is reported on its own (health, log) and does not mark GitHub unreachable.
    extra: hooks && ((repo) => hooks.tend(repo).catch(() => undefined)),
    onResync: (repo, result) => metrics.resyncs.inc({ repo, result }),
    log,
    now,
  });
  const resync = new ResyncSchedule({
    repos: config.repos,
    read: (repo) => repoResync.read(repo),
    log,
    now,
    intervalMs: config.resyncIntervalSeconds * 1000,
    budgetPerMinute: config.resyncBudgetPerMinute,
    credentialOf,
    requestsMade: (credential) => clients.paces().get(credential)?.admitted ?? 0,
    onCycle: (credential, seconds) => metrics.resyncCycleSeconds.set({ credential }, seconds),
  });

  // What /health, the status page and the metrics read.
  const status: StatusModel = {
    config,
    now,
    runners: () => reconciler.runners(),
    waitingJobs: (poolId) => waiting.count(poolId),
    jobs: () => jobs.all(),
    engines: () => runtime.engines(),
    engineError: () => reconciler.engineError(),
    refusedPools: () => reconciler.refusedPools(),
    poolHealth: (poolId) => reconciler.poolHealth(poolId),
    image: (poolId) => images.state(poolId),
    scaleSet: (poolId) => scaleSets.health(poolId),
    github: (repoId) => githubHealth(repoResync.health(repoId), reach.of(credentialOf(repoId))),
    hook: (repoId) => hooks?.health(repoId),
    unserved: () => unserved.list(),
    releases: () => releases.feed(),
    credentials: () =>
      credentialHealth(
        resync.rounds(),
        (credential) => clients.paces().get(credential),
        config.resyncBudgetPerMinute,
      ),
  };
  metrics.bindSources(status);
  let accepting = true;
  const app = buildApp({
    log,
    bodyLimit: config.webhookBodyLimitBytes,
    registry: metrics.registry,
    accepting: () => accepting,
    health: () => healthReport(status),
    status: () => statusView(status),
    handleDelivery: (delivery) =>
      handleDelivery(
        {
          repos: webhookRepos,
          secretOf,
          intake,
          deliveries,
          unserved,
          log,
          now,
          onResult: (result, repoId) => {
            metrics.deliveries.inc({ repo: repoId ?? '', result });
            // Its resync comes first while it has traffic: fast recovery where jobs run.
            if (repoId !== undefined && result === 'accepted') resync.noteTraffic(repoId);
          },
          onUnserved: (repo) => metrics.unservedJobs.inc({ repo }),
        },
        delivery,
      ),
  });

  reconciler.start();
  resync.start();
  images.start();
  scaleSets.start(intake);
  releases.start();
  return {
    app,
    reconciler,
    shutdown: async (graceMs = SHUTDOWN_GRACE_MS) => {
      accepting = false;
      await shutDown(
        {
          stopping: () => [
            resync.stop(),
            reconciler.stop(),
            images.stop(),
            // A session left open makes the next controller wait until it expires.
            scaleSets.stop(),
            releases.stop(),
          ],
          spawnsInFlight: () => reconciler.spawnsInFlight(),
          abortRequests: () => requests.abort(),
          log,
        },
        graceMs,
      );
      await app.close();
    },
  };
}

function known<T>(value: T | undefined, repoId: string): T {
  if (value === undefined) throw new Error(`no repository ${repoId}`);
  return value;
}
