import { readFileSync, statSync } from 'node:fs';
import Docker from 'dockerode';
import { pino } from 'pino';
import { loadConfig } from './config/load-config.ts';
import { observeAttempts } from './github/attempt-observer.ts';
import { lazyClient } from './github/lazy-client.ts';
import { Reachability } from './github/reachability.ts';
import { createMetrics } from './metrics/metrics.ts';
import { createPoolGitHub, type PoolGitHub } from './github/pool-github.ts';
import { logOptions } from './log/log-options.ts';
import { createDockerRuntime } from './runners/docker-runtime.ts';
import { startController } from './start-controller.ts';
import { loadWebhookSecret } from './webhook/secret-store.ts';

const SHUTDOWN_LIMIT_MS = 10_000;
const DOCKER_API_TIMEOUT_MS = 30_000;
const DOCKER_SOCKET = '/var/run/docker.sock';

async function main(): Promise<void> {
  const result = loadConfig({ env: process.env, readFile: (path) => readFileSync(path, 'utf8') });
  if (!result.ok) {
    process.stderr.write('Invalid configuration:\n');
    for (const problem of result.problems)
      process.stderr.write(`  ${problem.setting}: ${problem.reason}\n`);
    process.exit(1);
  }
  const config = result.config;
  const log = pino(logOptions(config.logLevel));

  const secrets = new Map<string, string>();
  for (const pool of config.pools) {
    const { secret, source } = await loadWebhookSecret(config.dataDir, pool.id, pool.webhookSecret);
    secrets.set(pool.id, secret);
    log.info({ repo: pool.id, source }, 'webhook secret loaded');
  }
  const metrics = createMetrics();
  const github = new Map<string, PoolGitHub>();
  const reachability = new Map<string, Reachability>();
  for (const pool of config.pools) {
    const reach = new Reachability();
    reachability.set(pool.id, reach);
    const client = lazyClient(
      {
        apiUrl: pool.target.apiUrl,
        auth: pool.auth,
        log: log.child({ repo: pool.id }),
        onAttempt: observeAttempts(pool.id, reach, metrics, log.child({ repo: pool.id })),
      },
      pool.target.scope,
    );
    github.set(pool.id, createPoolGitHub(pool, client));
  }
  const runtime = createDockerRuntime({
    engines: [
      {
        id: 'local',
        docker: new Docker({ timeout: DOCKER_API_TIMEOUT_MS }),
        streams: new Docker(),
        capacity: config.maxRunners,
        socketGroup: statSync(DOCKER_SOCKET, { throwIfNoEntry: false })?.gid,
      },
    ],
    controllerId: config.controllerId,
    network: config.runnerNetwork,
    dind: config.dind,
    log,
  });
  const controller = startController({
    config,
    log,
    runtime,
    secrets,
    reachability: (poolId) => reachability.get(poolId),
    metrics,
    now: Date.now,
    github: (poolId) => {
      const client = github.get(poolId);
      if (!client) throw new Error(`no GitHub client for repository ${poolId}`);
      return client;
    },
  });
  const address = await controller.app.listen({ port: config.port, host: config.host });
  log.info(
    {
      address,
      mode: config.mode,
      repos: config.pools.map((pool) => pool.id),
      maxRunners: config.maxRunners,
    },
    'controller listening',
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: intake stopped, running jobs left alone');
    const force = setTimeout(() => process.exit(1), SHUTDOWN_LIMIT_MS);
    force.unref();
    controller.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `controller failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
