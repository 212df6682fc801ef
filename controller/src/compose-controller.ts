import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { scaleSetPools, webhookEntries } from './config/job-sources.ts';
import type { Config } from './config/load-config.ts';
import { createAbortableFetch } from './github/abortable-fetch.ts';
import { CredentialClients } from './github/credential-clients.ts';
import { CredentialReach } from './github/reachability.ts';
import { createRepoGitHub } from './github/repo-github.ts';
import { restRegistrars } from './github/rest-registrar.ts';
import { RunnerReleases } from './github/runner-releases.ts';
import { buildApp } from './http/build-app.ts';
import { DeliveryLog } from './jobs/delivery-log.ts';
import { JobBook } from './jobs/job-book.ts';
import { createJobIntake, type JobIntake } from './jobs/job-intake.ts';
import { UnservedJobs } from './jobs/unserved-jobs.ts';
import { WaitingJobs } from './jobs/waiting-jobs.ts';
import { observeAttempts } from './metrics/attempt-observer.ts';
import { jobMetrics } from './metrics/job-metrics.ts';
import { createMetrics, type Metrics } from './metrics/metrics.ts';
import { runnerMetrics } from './metrics/runner-metrics.ts';
import { Reconciler } from './reconcile/reconciler.ts';
import { RepoResync } from './resync/repo-resync.ts';
import { ResyncSchedule } from './resync/resync-schedule.ts';
import { cachePlanOf } from './runners/cache-volumes.ts';
import { checkRuntimes } from './runners/check-runtimes.ts';
import { createDockerRuntime } from './runners/docker-runtime.ts';
import { dockerEngines } from './runners/engine-clients.ts';
import { ImageKeeper } from './runners/image-keeper.ts';
import { readDockerConfig, registryAuthFrom } from './runners/registry-auth.ts';
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
import { loadWebhookSecrets } from './webhook/secret-store.ts';

const DOCKER_API_TIMEOUT_MS = 30_000;
/** How long the start waits for an engine to tell its runtimes (one that does not is told later). */
const RUNTIME_CHECK_TIMEOUT_MS = 10_000;

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
  /** Starts the loops (reconciler, resync and hooks, image upkeep, scale sets); after listen. */
  start: () => void;
  /** Stops intake and loops; waits up to `graceMs` for work under way, then abandons it. */
  shutdown: (graceMs?: number) => Promise<void>;
};

/**
 * The composition root: every part of the controller made once, in the order they depend on
 * each other (GitHub, Docker, the job book, its sources and the registrars, the reconciler, the
 * resync, what /health and the metrics read, the HTTP app); `start` runs the loops once the app
 * listens. Nothing here decides anything; the parts do.
 */
export async function composeController(host: ControllerHost): Promise<Controller> {
  const { config, log, now } = host;
  const metrics = createMetrics();
  const github = gitHub(host, metrics);
  const { runtime, images } = await docker(host);
  const jobs = new JobBook({ onChange: jobMetrics(metrics) });
  const waiting = new WaitingJobs(jobs);
  const webhookRepos = webhookEntries(config.repos);
  const secrets = await loadWebhookSecrets(config.dataDir, webhookRepos, log);
  const secretOf = (repoId: string): string => secrets.get(repoId) ?? '';
  const actionsOf = actionsClients({
    repos: config.repos,
    github: github.github,
    fetch: github.fetch,
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
  const unserved = new UnservedJobs();
  const reconciler = new Reconciler({
    pools: config.pools,
    maxRunners: config.maxRunners,
    idleTimeoutMs: config.runnerIdleTimeoutSeconds * 1000,
    // The engines are re-read every interval, however long GitHub's reads take.
    intervalMs: config.resyncIntervalSeconds * 1000,
    jobs,
    reportedWaiting: (poolId) => waiting.reported(poolId),
    runtime,
    registrars: new Map([
      ...restRegistrars(webhookRepos, github.github),
      ...scaleSets.registrars(),
    ]),
    log,
    now,
    jobWaitWarnMs: config.jobWaitWarnSeconds * 1000,
    sourceOutage: (poolId) => scaleSets.outage(poolId),
    unserved: () => unserved.list(),
    events: runnerMetrics(metrics, {
      repoOf: (poolId) => config.pools.find((pool) => pool.id === poolId)?.repoId ?? '',
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
        hooks: (repoId) => github.github(repoId).hooks(),
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
    github: github.github,
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
    credentialOf: github.credentialOf,
    requestsMade: (credential) => github.clients.paces().get(credential)?.admitted ?? 0,
    onCycle: (credential, seconds) => metrics.resyncCycleSeconds.set({ credential }, seconds),
  });
  const status: StatusModel = {
    config,
    now,
    runners: () => reconciler.runners(),
    waitingJobs: (poolId) => waiting.count(poolId),
    waits: () => reconciler.waits(),
    jobs: () => jobs.all(),
    engines: () => runtime.engines(),
    engineError: () => reconciler.engineError(),
    refusedPools: () => reconciler.refusedPools(),
    poolHealth: (poolId) => reconciler.poolHealth(poolId),
    image: (poolId) => images.state(poolId),
    scaleSet: (poolId) => scaleSets.health(poolId),
    github: (repoId) =>
      githubHealth(repoResync.health(repoId), github.reach.of(github.credentialOf(repoId))),
    hook: (repoId) => hooks?.health(repoId),
    unserved: () => unserved.list(),
    releases: () => github.releases.feed(),
    credentials: () =>
      credentialHealth(
        resync.rounds(),
        (credential) => github.clients.paces().get(credential),
        config.resyncBudgetPerMinute,
      ),
  };
  metrics.bindSources(status);
  const serving = app(host, {
    metrics,
    status,
    delivery: { repos: webhookRepos, secretOf, intake, unserved },
    noteTraffic: (repoId) => resync.noteTraffic(repoId),
    // A job no pool serves waits too: the next pass gives its reason.
    noteUnserved: () => reconciler.trigger(),
  });

  return {
    app: serving.app,
    reconciler,
    // After listen: GitHub pings a hook as it is created and delivers the jobs queued after,
    // so the resync that creates it must not run before the port answers.
    start: () => {
      reconciler.start();
      resync.start();
      images.start();
      scaleSets.start(intake);
      github.releases.start();
    },
    shutdown: async (graceMs = SHUTDOWN_GRACE_MS) => {
      serving.refuse();
      await shutDown(
        {
          stopping: () => [
            resync.stop(),
            reconciler.stop(),
            images.stop(),
            // A session left open makes the next controller wait until it expires.
            scaleSets.stop(),
            github.releases.stop(),
          ],
          spawnsInFlight: () => reconciler.spawnsInFlight(),
          abortRequests: () => github.requests.abort(),
          log,
        },
        graceMs,
      );
      await serving.app.close();
    },
  };
}

/** GitHub: one client, pace and reachability per credential, shared by the entries using it. */
function gitHub(host: ControllerHost, metrics: Metrics) {
  const { config, log, now } = host;
  const requests = createAbortableFetch(host.fetch);
  const reach = new CredentialReach();
  const clients = new CredentialClients({
    fetch: requests.fetch,
    log,
    now,
    onAttempt: (credential) =>
      observeAttempts(credential, reach.of(credential), metrics, log.child({ credential })),
  });
  const entries = new Map(config.repos.map((repo) => [repo.id, repo]));
  const github = new Map(
    config.repos.map((repo) => [repo.id, createRepoGitHub(repo, clients.clientFor(repo))]),
  );
  return {
    requests,
    reach,
    clients,
    fetch: requests.fetch,
    github: (repoId: string) => known(github.get(repoId), repoId),
    credentialOf: (repoId: string) => clients.credentialOf(known(entries.get(repoId), repoId)),
    // A public repository: no credential, and not the client of any entry.
    releases: new RunnerReleases({ url: config.runnerReleasesUrl, fetch: host.fetch, log, now }),
  };
}

/** Docker: the engines, and each pool's runner image kept on them. */
async function docker(host: ControllerHost) {
  const { config, log, now } = host;
  const engines = dockerEngines(config.engines, config.maxRunners, {
    readFile: host.readFile,
    socketGroup: host.fileGroup,
    apiTimeoutMs: DOCKER_API_TIMEOUT_MS,
  });
  // Before listening: a pool whose OCI runtime no engine offers stops the start.
  await checkRuntimes(engines, config.pools, log, RUNTIME_CHECK_TIMEOUT_MS);
  const runtime = createDockerRuntime({
    engines,
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
  return { runtime, images };
}

type AppParts = {
  metrics: Metrics;
  status: StatusModel;
  delivery: {
    repos: ReturnType<typeof webhookEntries>;
    secretOf: (repoId: string) => string;
    intake: JobIntake;
    unserved: UnservedJobs;
  };
  /** A delivery was accepted for the entry: its resync comes first while it has traffic. */
  noteTraffic: (repoId: string) => void;
  noteUnserved: () => void;
};

/** The HTTP app: webhook intake, /health, the status page, /metrics. */
function app(host: ControllerHost, parts: AppParts) {
  const { config, log, now } = host;
  const { metrics, status } = parts;
  const deliveries = new DeliveryLog();
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
          ...parts.delivery,
          deliveries,
          log,
          now,
          onResult: (result, repoId) => {
            metrics.deliveries.inc({ repo: repoId ?? '', result });
            if (repoId !== undefined && result === 'accepted') parts.noteTraffic(repoId);
          },
          onUnserved: (repo) => {
            metrics.unservedJobs.inc({ repo });
            parts.noteUnserved();
          },
        },
        delivery,
      ),
  });
  return {
    app,
    /** Shutdown began: new deliveries are refused so GitHub records them as failed. */
    refuse: () => {
      accepting = false;
    },
  };
}

function known<T>(value: T | undefined, repoId: string): T {
  if (value === undefined) throw new Error(`no repository ${repoId}`);
  return value;
}
