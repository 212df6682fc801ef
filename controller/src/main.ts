import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { webhookEntries } from './config/job-sources.ts';
import { loadConfig } from './config/load-config.ts';
import { observeAttempts } from './github/attempt-observer.ts';
import { createAbortableFetch } from './github/abortable-fetch.ts';
import { CredentialClients } from './github/credential-clients.ts';
import { Reachability } from './github/reachability.ts';
import { RunnerReleases } from './github/runner-releases.ts';
import { createMetrics } from './metrics/metrics.ts';
import { createRepoGitHub, type RepoGitHub } from './github/repo-github.ts';
import { logOptions } from './log/log-options.ts';
import { cachePlanOf } from './runners/cache-volumes.ts';
import { createDockerRuntime } from './runners/docker-runtime.ts';
import { dockerEngines } from './runners/engine-clients.ts';
import { createActionsClient, createScaleSetSource, type ActionsClient } from './scaleset/index.ts';
import { registryAuthFrom } from './runners/registry-auth.ts';
import { startController } from './start-controller.ts';
import { loadWebhookSecret } from './webhook/secret-store.ts';

const SHUTDOWN_LIMIT_MS = 10_000;
const DOCKER_API_TIMEOUT_MS = 30_000;

async function main(): Promise<void> {
  const result = loadConfig({
    env: process.env,
    readFile: (path) => readFileSync(path, 'utf8'),
    uid: process.getuid?.(),
  });
  if (!result.ok) {
    process.stderr.write('Invalid configuration:\n');
    for (const problem of result.problems)
      process.stderr.write(`  ${problem.setting}: ${problem.reason}\n`);
    process.exit(1);
  }
  const config = result.config;
  const log = pino(logOptions(config.logLevel));
  for (const warning of config.warnings) log.warn({ warning }, 'configuration warning');

  const secrets = new Map<string, string>();
  for (const repo of webhookEntries(config.repos)) {
    const { secret, source } = await loadWebhookSecret(config.dataDir, repo.id, repo.webhookSecret);
    secrets.set(repo.id, secret);
    log.info({ repo: repo.id, source }, 'webhook secret loaded');
  }
  const metrics = createMetrics();
  const requests = createAbortableFetch(fetch);
  // One client, pace and reachability per credential, shared by the entries that use it.
  const credentialReach = new Map<string, Reachability>();
  const reachOf = (credential: string): Reachability => {
    const known = credentialReach.get(credential);
    if (known) return known;
    const made = new Reachability();
    credentialReach.set(credential, made);
    return made;
  };
  const clients = new CredentialClients({
    fetch: requests.fetch,
    log,
    now: Date.now,
    onAttempt: (credential) =>
      observeAttempts(credential, reachOf(credential), metrics, log.child({ credential })),
  });
  const github = new Map<string, RepoGitHub>();
  const reachability = new Map<string, Reachability>();
  for (const repo of config.repos) {
    reachability.set(repo.id, reachOf(clients.credentialOf(repo)));
    github.set(repo.id, createRepoGitHub(repo, clients.clientFor(repo)));
  }
  const runtime = createDockerRuntime({
    engines: dockerEngines(config.engines, config.maxRunners, {
      readFile: (path) => readFileSync(path),
      socketGroup: (path) => statSync(path, { throwIfNoEntry: false })?.gid,
      apiTimeoutMs: DOCKER_API_TIMEOUT_MS,
    }),
    controllerId: config.controllerId,
    probeImages: [...new Set(config.pools.map((pool) => pool.runnerImage))],
    registryAuth: registryAuthFrom(readDockerConfig(config.dockerConfigDir)),
    cachePlan: cachePlanOf(config.pools),
    log,
  });
  const actions = new Map<string, ActionsClient>();
  const actionsOf = (repoId: string): ActionsClient => {
    const known = actions.get(repoId);
    if (known) return known;
    const repo = config.repos.find((r) => r.id === repoId);
    const client = github.get(repoId);
    if (!repo || !client) throw new Error(`no repository ${repoId}`);
    const made = createActionsClient({
      apiUrl: repo.target.apiUrl,
      configUrl: repo.githubUrl.replace(/\/+$/, ''),
      registrationToken: () => client.registrationToken(),
      fetch: requests.fetch,
      log: log.child({ repo: repoId }),
    });
    actions.set(repoId, made);
    return made;
  };
  const controller = startController({
    config,
    log,
    runtime,
    secrets,
    reachability: (repoId) => reachability.get(repoId),
    credentialOf: (repoId) => {
      const repo = config.repos.find((r) => r.id === repoId);
      return repo ? clients.credentialOf(repo) : repoId;
    },
    requestsMade: (credential) => clients.paces().get(credential)?.admitted ?? 0,
    paces: () => clients.paces(),
    metrics,
    now: Date.now,
    // A public repository: no credential, and not the GitHub client of any pool.
    releases: new RunnerReleases({ url: config.runnerReleasesUrl, fetch, log, now: Date.now }),
    abortRequests: () => requests.abort(),
    scaleSets: {
      actions: actionsOf,
      source: (pool) =>
        createScaleSetSource({
          actions: actionsOf(pool.repoId),
          scaleSetName: pool.jobSource.scaleSetName,
          runnerGroup: pool.runnerGroup,
          ownerName: `${hostname()}/${config.controllerId}`,
          log: log.child({ pool: pool.id }),
        }),
    },
    github: (repoId) => {
      const client = github.get(repoId);
      if (!client) throw new Error(`no GitHub client for repository ${repoId}`);
      return client;
    },
  });
  const address = await controller.app.listen({ port: config.port, host: config.host });
  log.info(
    {
      address,
      mode: config.mode,
      repos: config.repos.map((repo) => repo.id),
      pools: config.pools.map((pool) => pool.id),
      version: config.build.version,
      maxRunners: config.maxRunners,
    },
    'controller listening',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: intake stopped, running jobs left alone');
    // A safety net only: shutdown itself abandons what does not finish in time.
    const force = setTimeout(() => {
      log.error('shutdown did not finish in time');
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    force.unref();
    controller.shutdown().then(
      () => {
        log.info('shutdown complete');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** Docker's client config (registry logins), if there is one. */
function readDockerConfig(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, 'config.json'), 'utf8');
  } catch {
    return undefined;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `controller failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
