import { z } from 'zod';
import { parseGitHubUrl, type GitHubTarget } from './github-url.ts';
import { PoolDefaults, PoolSettings, type DockerMode } from './pool-settings.ts';
import { GlobalSettings } from './global-settings.ts';

export type GitHubAuth =
  | { kind: 'token'; token: string }
  | { kind: 'app'; appId: string; privateKey: string; installationId: string | undefined };

export type PoolConfig = {
  id: string;
  githubUrl: string;
  target: GitHubTarget;
  auth: GitHubAuth;
  webhookSecret: string | undefined;
  runnerLabels: string[];
  runnerGroup: string;
  runnerNamePrefix: string;
  runnerImage: string;
  dockerMode: DockerMode;
  maxRunners: number;
  minIdleRunners: number;
};

export type Config = {
  mode: 'single' | 'multi';
  port: number;
  host: string;
  logLevel: GlobalSettings['LOG_LEVEL'];
  dataDir: string;
  maxRunners: number;
  controllerId: string;
  resyncIntervalSeconds: number;
  runnerIdleTimeoutSeconds: number;
  webhookHost: string | undefined;
  runnerNetwork: string | undefined;
  dind: { image: string; privileged: boolean };
  webhookBodyLimitBytes: number;
  pools: PoolConfig[];
};

export type ConfigProblem = { setting: string; reason: string };
export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] };

export type ConfigSources = {
  env: Record<string, string | undefined>;
  readFile: (path: string) => string;
};

const RepoEntry = PoolSettings.extend({
  id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'must be letters, digits, ".", "_" or "-"'),
});
const ReposFile = z.object({
  repositories: z.array(z.record(z.string(), z.unknown())).min(1),
  defaults: z.record(z.string(), z.unknown()).optional(),
});

/** Validates the whole configuration at once; every problem is named, no value is echoed. */
export function loadConfig({ env, readFile }: ConfigSources): ConfigResult {
  const problems: ConfigProblem[] = [];
  const clean = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const global = GlobalSettings.safeParse(clean);
  if (!global.success) problems.push(...issuesOf(global.error, (path) => path));
  const envPool = envPoolSettings(clean);
  const pools = clean.REPOS_CONFIG_FILE
    ? poolsFromFile(clean.REPOS_CONFIG_FILE, envPool, readFile, problems)
    : poolFromEnv(envPool, problems);
  const resolved = pools.flatMap((pool) => resolvePool(pool, readFile, problems));
  if (!global.success || problems.length > 0) return { ok: false, problems };
  const g = global.data;
  const withCaps = resolved.map((pool) => ({
    ...pool,
    maxRunners: pool.maxRunners || g.MAX_RUNNERS,
  }));
  return {
    ok: true,
    config: {
      mode: clean.REPOS_CONFIG_FILE ? 'multi' : 'single',
      port: g.PORT,
      host: g.HOST,
      logLevel: g.LOG_LEVEL,
      dataDir: g.DATA_DIR,
      maxRunners: g.MAX_RUNNERS,
      controllerId: g.CONTROLLER_ID,
      resyncIntervalSeconds: g.RESYNC_INTERVAL_SECONDS,
      runnerIdleTimeoutSeconds: g.RUNNER_IDLE_TIMEOUT_SECONDS,
      webhookHost: g.WEBHOOK_HOST,
      runnerNetwork: g.RUNNER_NETWORK,
      dind: { image: g.DIND_IMAGE, privileged: g.DIND_PRIVILEGED },
      webhookBodyLimitBytes: g.WEBHOOK_BODY_LIMIT_BYTES,
      pools: withCaps,
    },
  };
}

type Entry = { id: string; settings: PoolSettings; where: (key: string) => string };

const POOL_KEYS = Object.keys(PoolSettings.shape) as (keyof PoolSettings)[];

function envPoolSettings(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of POOL_KEYS) {
    // MAX_RUNNERS is the global cap; a per-repository cap is only set in REPOS_CONFIG_FILE.
    if (key === 'max_runners') continue;
    const value = env[key.toUpperCase()];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function poolFromEnv(envPool: Record<string, string>, problems: ConfigProblem[]): Entry[] {
  if (envPool.github_url === undefined) {
    problems.push({ setting: 'GITHUB_URL', reason: 'required unless REPOS_CONFIG_FILE is set' });
    return [];
  }
  const parsed = PoolSettings.safeParse(envPool);
  if (!parsed.success) {
    problems.push(...issuesOf(parsed.error, (path) => path.toUpperCase()));
    return [];
  }
  const target = parseGitHubUrl(parsed.data.github_url);
  const id = target
    ? slug(
        target.scope.kind === 'repo'
          ? `${target.scope.owner}-${target.scope.repo}`
          : target.scope.org,
      )
    : 'default';
  return [{ id, settings: parsed.data, where: (key) => key.toUpperCase() }];
}

function poolsFromFile(
  path: string,
  envPool: Record<string, string>,
  readFile: (path: string) => string,
  problems: ConfigProblem[],
): Entry[] {
  const at = (key: string) => `REPOS_CONFIG_FILE ${key}`;
  let raw: unknown;
  try {
    raw = JSON.parse(readFile(path));
  } catch (error) {
    const reason = error instanceof SyntaxError ? 'is not valid JSON' : 'cannot be read';
    problems.push({ setting: 'REPOS_CONFIG_FILE', reason: `${path} ${reason}` });
    return [];
  }
  const file = ReposFile.safeParse(raw);
  if (!file.success) {
    problems.push(...issuesOf(file.error, at));
    return [];
  }
  const { github_url: _ignored, webhook_secret: _perRepo, ...envDefaults } = envPool;
  const defaults = PoolDefaults.safeParse({ ...envDefaults, ...file.data.defaults });
  if (!defaults.success) problems.push(...issuesOf(defaults.error, (p) => at(`defaults.${p}`)));
  const base = defaults.success ? { ...envDefaults, ...file.data.defaults } : {};
  const seen = new Set<string>();
  return file.data.repositories.flatMap((entry, index) => {
    const where = (key: string) => at(`repositories[${index}].${key}`);
    const id = entry.id;
    if (typeof id === 'string' && seen.has(id)) {
      problems.push({ setting: where('id'), reason: `duplicate id "${id}"` });
      return [];
    }
    if (typeof id === 'string') seen.add(id);
    const parsed = RepoEntry.safeParse({ ...base, ...entry });
    if (!parsed.success) {
      problems.push(...issuesOf(parsed.error, where));
      return [];
    }
    return [{ id: parsed.data.id, settings: parsed.data, where }];
  });
}

function resolvePool(
  { id, settings, where }: Entry,
  readFile: (path: string) => string,
  problems: ConfigProblem[],
): PoolConfig[] {
  const target = parseGitHubUrl(settings.github_url);
  if (!target) return [];
  const auth = resolveAuth(settings, where, readFile, problems);
  if (!auth) return [];
  return [
    {
      id,
      githubUrl: settings.github_url,
      target: { ...target, apiUrl: (settings.github_api_url ?? target.apiUrl).replace(/\/+$/, '') },
      auth,
      webhookSecret: settings.webhook_secret,
      runnerLabels: settings.runner_labels,
      runnerGroup: settings.runner_group,
      runnerNamePrefix: settings.runner_name_prefix,
      runnerImage: settings.runner_image,
      dockerMode: settings.runner_docker_mode,
      maxRunners: settings.max_runners ?? 0,
      minIdleRunners: settings.min_idle_runners,
    },
  ];
}

function resolveAuth(
  settings: PoolSettings,
  where: (key: string) => string,
  readFile: (path: string) => string,
  problems: ConfigProblem[],
): GitHubAuth | undefined {
  if (settings.github_app_id !== undefined || settings.github_app_private_key_file !== undefined) {
    if (
      settings.github_app_id === undefined ||
      settings.github_app_private_key_file === undefined
    ) {
      problems.push({
        setting: where(
          settings.github_app_id === undefined ? 'github_app_id' : 'github_app_private_key_file',
        ),
        reason: 'a GitHub App needs both github_app_id and github_app_private_key_file',
      });
      return undefined;
    }
    let privateKey: string;
    try {
      privateKey = readFile(settings.github_app_private_key_file);
    } catch {
      problems.push({ setting: where('github_app_private_key_file'), reason: 'cannot be read' });
      return undefined;
    }
    if (!privateKey.includes('PRIVATE KEY')) {
      problems.push({
        setting: where('github_app_private_key_file'),
        reason: 'is not a PEM private key',
      });
      return undefined;
    }
    return {
      kind: 'app',
      appId: settings.github_app_id,
      privateKey,
      installationId: settings.github_app_installation_id,
    };
  }
  if (settings.github_token !== undefined) return { kind: 'token', token: settings.github_token };
  problems.push({
    setting: where('github_token'),
    reason: 'set a token, or github_app_id with github_app_private_key_file',
  });
  return undefined;
}

function issuesOf(error: z.ZodError, name: (path: string) => string): ConfigProblem[] {
  return error.issues.map((issue) => ({
    setting: name(issue.path.map(String).join('.') || '(root)'),
    reason: issue.message,
  }));
}

function slug(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .slice(0, 63);
}
