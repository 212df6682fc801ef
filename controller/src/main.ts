import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { pino } from 'pino';
import { composeController } from './compose-controller.ts';
import { loadConfig } from './config/load-config.ts';
import { ensureWritableDir } from './config/writable-dir.ts';
import { logOptions } from './log/log-options.ts';

const SHUTDOWN_LIMIT_MS = 10_000;

async function main(): Promise<void> {
  const result = loadConfig({
    env: process.env,
    readFile: (path) => readFileSync(path, 'utf8'),
    uid: process.getuid?.(),
    dataDir: ensureWritableDir,
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

  const controller = await composeController({
    config,
    log,
    fetch,
    readFile: (path) => readFileSync(path),
    fileGroup: (path) => statSync(path, { throwIfNoEntry: false })?.gid,
    hostname: hostname(),
    now: Date.now,
  });
  const address = await controller.app.listen({ port: config.port, host: config.host });
  controller.start();
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

main().catch((error: unknown) => {
  process.stderr.write(
    `controller failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
