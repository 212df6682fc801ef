import { join } from 'node:path';
import type {
  Config,
  ConfigProblem,
  ConfigResult,
  ConfigSources,
  RepoConfig,
} from './config-types.ts';
import { loadEngines } from './engines.ts';
import { nearMisses } from './env-near-misses.ts';
import { GlobalSettings } from './global-settings.ts';
import { parseGitHubUrl } from './github-url.ts';
import { envName, POOL_FIELDS, REPO_FIELDS, type SettingValues } from './pool-settings.ts';
import { capWarnings, dockerModeWarnings } from './pool-checks.ts';
import { dataDirProblems } from './data-dir.ts';
import { problemsOf } from './problems.ts';
import { ignoredWithReposFile } from './repos-file-warnings.ts';
import { readFields } from './read-fields.ts';
import { repoFromEntry } from './resolve-repo.ts';
import { reposFromFile } from './repos-file.ts';

export type {
  Config,
  ConfigProblem,
  ConfigResult,
  ConfigSources,
  GitHubAuth,
  PoolConfig,
  RepoConfig,
} from './config-types.ts';

/**
 * Validates the whole configuration at once: every problem is named (with the nearest known
 * name for an unknown key), nothing is coerced from a wrong JSON type, no value is echoed.
 */
export function loadConfig({ env, readFile, uid, dataDir }: ConfigSources): ConfigResult {
  const problems: ConfigProblem[] = [];
  // An empty variable (`GITHUB_TOKEN=` in .env) counts as unset.
  const clean = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => !!entry[1]),
  );
  const global = GlobalSettings.safeParse(clean);
  if (!global.success) problems.push(...problemsOf(global.error, (path) => path));

  const envSettings = readFields(envValues(clean), ENV_FIELDS, {
    mode: 'env',
    where: envName,
    problems,
    strict: false,
  });
  const cap = global.success ? global.data.MAX_RUNNERS : 1;

  const file = clean.REPOS_CONFIG_FILE;
  const repos = file
    ? reposFromFile({ path: file, env: envSettings, cap, readFile, uid, problems })
    : repoFromEnv(envSettings, clean, cap, readFile, uid, problems);
  const engines = loadEngines(clean.DOCKER_ENGINES, clean, readFile, uid, problems);
  if (global.success && dataDir)
    problems.push(...dataDirProblems(global.data.DATA_DIR, dataDir, uid));
  if (!global.success || problems.length > 0) return { ok: false, problems };

  const g = global.data;
  const config: Config = {
    mode: file ? 'multi' : 'single',
    port: g.PORT,
    host: g.HOST,
    logLevel: g.LOG_LEVEL,
    dataDir: g.DATA_DIR,
    maxRunners: g.MAX_RUNNERS,
    controllerId: g.CONTROLLER_ID,
    resyncIntervalSeconds: g.RESYNC_INTERVAL_SECONDS,
    resyncBudgetPerMinute: g.RESYNC_REQUESTS_PER_MINUTE,
    runnerIdleTimeoutSeconds: g.RUNNER_IDLE_TIMEOUT_SECONDS,
    jobWaitWarnSeconds: g.JOB_WAIT_WARN_SECONDS,
    webhookHost: g.WEBHOOK_HOST,
    webhookInsecureSsl: g.WEBHOOK_INSECURE_SSL,
    webhookBodyLimitBytes: g.WEBHOOK_BODY_LIMIT_BYTES,
    runnerReleasesUrl: g.RUNNER_RELEASES_URL,
    pullIntervalSeconds: g.RUNNER_PULL_INTERVAL_SECONDS,
    dockerConfigDir: g.DOCKER_CONFIG ?? join(clean.HOME ?? '/root', '.docker'),
    build: { version: g.AUTOSCALER_VERSION ?? 'dev', revision: g.AUTOSCALER_REVISION ?? 'unknown' },
    engines,
    repos,
    pools: repos.flatMap((repo) => repo.pools),
    warnings: [
      ...nearMisses(clean),
      ...(file ? ignoredWithReposFile(clean) : []),
      ...capWarnings(
        repos.flatMap((repo) => repo.pools),
        g.MAX_RUNNERS,
      ),
      ...dockerModeWarnings(
        repos.flatMap((repo) => repo.pools),
        engines,
      ),
    ],
  };
  return { ok: true, config };
}

const ENV_FIELDS = { ...REPO_FIELDS, ...POOL_FIELDS };
const ENV_KEYS = Object.keys(ENV_FIELDS);

function envValues(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of ENV_KEYS) {
    // MAX_RUNNERS is the global cap; a pool's own cap is only set in REPOS_CONFIG_FILE.
    if (key === 'max_runners') continue;
    const value = env[envName(key)];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function repoFromEnv(
  settings: SettingValues,
  env: Record<string, string>,
  cap: number,
  readFile: (path: string) => string,
  uid: number | undefined,
  problems: ConfigProblem[],
): RepoConfig[] {
  if (env.GITHUB_URL === undefined) {
    problems.push({ setting: 'GITHUB_URL', reason: 'required unless REPOS_CONFIG_FILE is set' });
  }
  const target =
    typeof settings.github_url === 'string' ? parseGitHubUrl(settings.github_url) : undefined;
  const id = target
    ? slug(
        target.scope.kind === 'repo'
          ? `${target.scope.owner}-${target.scope.repo}`
          : target.scope.org,
      )
    : 'default';
  const repo = repoFromEntry({
    id,
    values: settings,
    pools: undefined,
    cap,
    where: envName,
    readFile,
    uid,
    problems,
  });
  return repo ? [repo] : [];
}

function slug(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .slice(0, 63);
}
