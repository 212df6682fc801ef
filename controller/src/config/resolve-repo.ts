import type {
  ConfigProblem,
  ContainerLimits,
  GitHubAuth,
  JobSourceConfig,
  PoolConfig,
  RepoConfig,
} from './config-types.ts';
import { parseGitHubUrl, type GitHubTarget } from './github-url.ts';
import {
  DEFAULT_DIND_IMAGE,
  DEFAULT_RUNNER_IMAGE,
  POOL_FIELDS,
  REPO_ID,
  type SettingValues,
} from './pool-settings.ts';
import { unreadableReason } from './problems.ts';
import { readFields } from './read-fields.ts';
import { sameLabelProblems, warmPoolProblem } from './pool-checks.ts';
import { secretSetting } from './secret-files.ts';

const DEFAULT_CACHE_MAX_BYTES = 20 * 2 ** 30;
/**
 * Enough for builds and test runs (a JVM or Node.js process takes tens of threads, each one a
 * pid), and a fork bomb stops there instead of at the host's pid_max (often 32768).
 */
export const DEFAULT_PIDS_LIMIT = { runner: 2048, dind: 4096 } as const;

export type EntryInput = {
  id: string;
  /** The entry's values, already merged over `defaults` and the environment. */
  values: SettingValues;
  /** The raw `pools` list of the entry; undefined: the entry is one pool. */
  pools: unknown[] | undefined;
  /** The global MAX_RUNNERS: a pool's cap when it sets none. */
  cap: number;
  where: (key: string) => string;
  readFile: (path: string) => string;
  uid: number | undefined;
  problems: ConfigProblem[];
};

/** A repository or organization with its pools, or undefined (with problems) when it is wrong. */
export function repoFromEntry(input: EntryInput): RepoConfig | undefined {
  const { values, where, problems } = input;
  const url = typeof values.github_url === 'string' ? values.github_url : undefined;
  const parsed = url === undefined ? undefined : parseGitHubUrl(url);
  const auth = resolveAuth(values, where, input.readFile, input.uid, problems);
  const poolInputs = poolValues(input);
  if (url === undefined && !problems.some((p) => p.setting === where('github_url')))
    problems.push({ setting: where('github_url'), reason: 'required' });
  if (!parsed || !url) return undefined;
  const apiUrl = typeof values.github_api_url === 'string' ? values.github_api_url : parsed.apiUrl;
  const target: GitHubTarget = { ...parsed, apiUrl: apiUrl.replace(/\/+$/, '') };
  // Every pool is read, even when the credentials are wrong, so all problems come at once.
  const settings = poolInputs.pools.flatMap((pool) => {
    const resolved = resolvePool(input.id, pool.id, pool.values, input.cap, pool.where, problems);
    return resolved ? [resolved] : [];
  });
  const secret = secretSetting(
    values,
    'webhook_secret',
    where,
    input.readFile,
    input.uid,
    problems,
  );
  if (!auth || !poolInputs.ok || settings.length !== poolInputs.pools.length) return undefined;
  const clashes = sameLabelProblems(
    settings.map((pool, index) => ({ pool, where: poolInputs.pools[index]?.where ?? where })),
  );
  problems.push(...clashes);
  if (secret === false || clashes.length > 0) return undefined;
  const pools = settings.map((pool): PoolConfig => ({ ...pool, target, auth }));
  return { id: input.id, githubUrl: url, target, auth, webhookSecret: secret, pools };
}

type PoolInput = { id: string; values: SettingValues; where: (key: string) => string };

function poolValues(input: EntryInput): { pools: PoolInput[]; ok: boolean } {
  if (input.pools === undefined)
    return { pools: [{ id: input.id, values: input.values, where: input.where }], ok: true };
  const seen = new Set<string>();
  const out: PoolInput[] = [];
  let ok = true;
  input.pools.forEach((raw, index) => {
    const where = (key: string) => input.where(`pools[${index}].${key}`);
    if (!isRecord(raw)) {
      input.problems.push({ setting: input.where(`pools[${index}]`), reason: 'must be an object' });
      ok = false;
      return;
    }
    const entry = raw;
    const before = input.problems.length;
    const own = readFields(entry, POOL_FIELDS, {
      mode: 'json',
      where,
      problems: input.problems,
      strict: true,
      own: ['id'],
    });
    const id = REPO_ID.safeParse(entry.id);
    if (!id.success) {
      input.problems.push({
        setting: where('id'),
        reason: 'must be 1-63 letters, digits, ".", "_" or "-"',
      });
    } else if (seen.has(id.data)) {
      input.problems.push({ setting: where('id'), reason: `duplicate pool id "${id.data}"` });
    } else {
      seen.add(id.data);
      if (input.problems.length === before)
        out.push({ id: `${input.id}/${id.data}`, values: { ...input.values, ...own }, where });
      return;
    }
    ok = false;
  });
  return { pools: out, ok: ok && out.length === input.pools.length };
}

function resolvePool(
  repoId: string,
  id: string,
  v: SettingValues,
  cap: number,
  where: (key: string) => string,
  problems: ConfigProblem[],
): Omit<PoolConfig, 'target' | 'auth'> | undefined {
  const jobSource = resolveJobSource(v, where, problems);
  const dockerMode = v.runner_docker_mode ?? 'dind';
  // Only a dind pool has a sidecar; a runtime set for it elsewhere (defaults) is not asked for.
  const dindRuntime = dockerMode === 'dind' ? v.dind_runtime : undefined;
  const privileged = resolvePrivileged(v, dindRuntime, where, problems);
  if (!jobSource || privileged === undefined) return undefined;
  const warm = warmPoolProblem(v.min_idle_runners ?? 0, v.max_runners ?? cap, where);
  if (warm) {
    problems.push(warm);
    return undefined;
  }
  const limits = (prefix: 'runner' | 'dind'): ContainerLimits => ({
    cpus: v[`${prefix}_cpus`],
    memoryBytes: v[`${prefix}_memory`],
    pidsLimit: v[`${prefix}_pids_limit`] ?? DEFAULT_PIDS_LIMIT[prefix],
    shmSizeBytes: prefix === 'runner' ? v.runner_shm_size : undefined,
  });
  return {
    id,
    repoId,
    runnerLabels: v.runner_labels ?? ['self-hosted', 'linux'],
    runnerGroup: v.runner_group ?? 'default',
    runnerNamePrefix: v.runner_name_prefix ?? 'runner',
    runnerImage: v.runner_image ?? DEFAULT_RUNNER_IMAGE,
    pullPolicy: v.runner_pull_policy ?? 'auto',
    platform: v.platform,
    dockerMode,
    maxRunners: v.max_runners ?? cap,
    minIdleRunners: v.min_idle_runners ?? 0,
    jobSource,
    engineLabels: v.engine_labels ?? {},
    network: v.runner_network,
    stopTimeoutSeconds: v.runner_stop_timeout_seconds,
    containerLabels: v.runner_container_labels ?? {},
    limits: { runner: limits('runner'), dind: limits('dind') },
    runtimes: { runner: v.runner_runtime, dind: dindRuntime },
    dind: {
      image: v.dind_image ?? DEFAULT_DIND_IMAGE,
      privileged,
      registryMirror: v.dind_registry_mirror,
      cacheVolumes: v.dind_cache_volumes ?? 0,
      cacheMaxBytes: v.dind_cache_max_size ?? DEFAULT_CACHE_MAX_BYTES,
    },
  };
}

/** The name sysbox's packages register its runtime under. */
const SYSBOX_RUNTIME = 'sysbox-runc';

/**
 * Whether the sidecar is privileged: yes by default (as docker:dind documents), but not under
 * sysbox, which refuses privileged containers (it gives dockerd what it needs unprivileged).
 */
function resolvePrivileged(
  v: SettingValues,
  dindRuntime: string | undefined,
  where: (key: string) => string,
  problems: ConfigProblem[],
): boolean | undefined {
  const privileged = v.dind_privileged;
  if (dindRuntime !== SYSBOX_RUNTIME) return privileged ?? true;
  if (privileged !== true) return false;
  problems.push({
    setting: where('dind_privileged'),
    reason: `${SYSBOX_RUNTIME} refuses privileged containers: set it to false (or leave it unset) with dind_runtime ${SYSBOX_RUNTIME}`,
  });
  return undefined;
}

function resolveJobSource(
  v: SettingValues,
  where: (key: string) => string,
  problems: ConfigProblem[],
): JobSourceConfig | undefined {
  if (v.job_source !== 'scaleset') {
    if (v.scale_set_name !== undefined && v.job_source === undefined) {
      problems.push({
        setting: where('job_source'),
        reason: 'set it to scaleset to use scale_set_name',
      });
      return undefined;
    }
    return { kind: 'webhook' };
  }
  if (typeof v.scale_set_name !== 'string') {
    problems.push({
      setting: where('scale_set_name'),
      reason: 'a scaleset pool needs the scale set name its workflows target (runs-on)',
    });
    return undefined;
  }
  return { kind: 'scaleset', scaleSetName: v.scale_set_name };
}

function resolveAuth(
  v: SettingValues,
  where: (key: string) => string,
  readFile: (path: string) => string,
  uid: number | undefined,
  problems: ConfigProblem[],
): GitHubAuth | undefined {
  const appId = typeof v.github_app_id === 'string' ? v.github_app_id : undefined;
  const keyFile =
    typeof v.github_app_private_key_file === 'string' ? v.github_app_private_key_file : undefined;
  if (appId !== undefined || keyFile !== undefined) {
    if (appId === undefined || keyFile === undefined) {
      problems.push({
        setting: where(appId === undefined ? 'github_app_id' : 'github_app_private_key_file'),
        reason: 'a GitHub App needs both github_app_id and github_app_private_key_file',
      });
      return undefined;
    }
    let privateKey: string;
    try {
      privateKey = readFile(keyFile);
    } catch (error) {
      problems.push({
        setting: where('github_app_private_key_file'),
        reason: unreadableReason(keyFile, error, uid),
      });
      return undefined;
    }
    if (!privateKey.includes('PRIVATE KEY')) {
      problems.push({
        setting: where('github_app_private_key_file'),
        reason: 'is not a PEM private key',
      });
      return undefined;
    }
    const installationId =
      typeof v.github_app_installation_id === 'string' ? v.github_app_installation_id : undefined;
    return { kind: 'app', appId, privateKey, installationId };
  }
  const token = secretSetting(v, 'github_token', where, readFile, uid, problems);
  if (token === false) return undefined;
  if (token !== undefined) return { kind: 'token', token };
  problems.push({
    setting: where('github_token'),
    reason:
      'set a token (github_token or github_token_file), or github_app_id with github_app_private_key_file',
  });
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
