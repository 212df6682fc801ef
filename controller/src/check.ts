import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from './config/load-config.ts';
import type { EngineRoom } from './domain/placement.ts';
import { CredentialClients } from './github/credential-clients.ts';
import { formatLine, type CheckLine } from './preflight/check-line.ts';
import { dataDirCheck } from './preflight/data-dir-check.ts';
import { engineChecks } from './preflight/engine-checks.ts';
import { githubChecks } from './preflight/github-checks.ts';
import { runtimeChecks } from './preflight/runtime-checks.ts';
import { dockerEngines } from './runners/engine-clients.ts';
import { registryAuthFrom } from './runners/registry-auth.ts';

const DOCKER_API_TIMEOUT_MS = 15_000;

/**
 * The preflight check (`npm run check`; in the image `controller/dist/check.js`): reads the
 * configuration as the controller does, then checks, changing nothing a user sees (its one
 * write is a registration token, which expires unused), that each credential reaches its
 * repository or organization with the permissions its pools need, the webhook (in
 * webhook mode), each engine and the images it must run, the OCI runtimes the pools name (judged
 * as the controller judges them at start), and DATA_DIR. One line per check;
 * exits 1 when one failed.
 */
async function check(): Promise<number> {
  const uid = process.getuid?.();
  const result = loadConfig({
    env: process.env,
    readFile: (path) => readFileSync(path, 'utf8'),
    uid,
  });
  const print = (line: CheckLine) => process.stdout.write(`${formatLine(line)}\n`);
  if (!result.ok) {
    for (const problem of result.problems)
      print({
        status: 'fail',
        area: 'config',
        text: `${problem.setting}: ${problem.reason}`,
        fix: 'correct the setting (docs/configuration.md)',
      });
    return 1;
  }
  const config = result.config;
  const lines: CheckLine[] = [];
  const keep = (line: CheckLine) => {
    lines.push(line);
    print(line);
  };
  keep({
    status: 'ok',
    area: 'config',
    text: `${config.repos.length} repository entries, ${config.pools.length} pools (${config.pools.map((p) => `${p.id}: ${p.jobSource.kind}`).join(', ')})`,
  });
  for (const warning of config.warnings)
    keep({ status: 'skip', area: 'config', text: `warning: ${warning}` });

  const clients = new CredentialClients({ fetch, log: pino({ level: 'silent' }), now: Date.now });
  for (const repo of config.repos)
    for (const line of await githubChecks(repo, clients.clientFor(repo), config)) keep(line);

  const engines = dockerEngines(config.engines, config.maxRunners, {
    readFile: (path) => readFileSync(path),
    socketGroup: (path) => statSync(path, { throwIfNoEntry: false })?.gid,
    apiTimeoutMs: DOCKER_API_TIMEOUT_MS,
  });
  const auth = registryAuthFrom(readOptional(join(config.dockerConfigDir, 'config.json')));
  const rooms: EngineRoom[] = [];
  for (const engine of engines) {
    const checked = await engineChecks(engine, config.pools, auth);
    checked.lines.forEach(keep);
    rooms.push(checked.room);
  }
  runtimeChecks(config.pools, rooms).forEach(keep);

  keep(
    dataDirCheck(
      config.dataDir,
      {
        isDirectory: (path) => statSync(path, { throwIfNoEntry: false })?.isDirectory(),
        writable: (path) => accessSync(path, constants.W_OK),
      },
      uid,
    ),
  );
  const failed = lines.filter((line) => line.status === 'fail').length;
  process.stdout.write(
    failed === 0 ? 'All checks passed.\n' : `${failed} check(s) failed: see "fix:" above.\n`,
  );
  return failed === 0 ? 0 : 1;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

check().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `check failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
