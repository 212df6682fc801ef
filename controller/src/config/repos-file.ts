import type { ConfigProblem, RepoConfig } from './config-types.ts';
import { parseGitHubUrl, scopeName } from './github-url.ts';
import { POOL_FIELDS, REPO_FIELDS, REPO_ID, type SettingValues } from './pool-settings.ts';
import { unknownKeyReason, unreadableReason } from './problems.ts';
import { readFields } from './read-fields.ts';
import { repoFromEntry } from './resolve-repo.ts';

const ENTRY_FIELDS = { ...REPO_FIELDS, ...POOL_FIELDS };
// Any setting may have a default but an entry's own URL (a shared webhook secret is fine).
const { github_url: _url, ...DEFAULT_FIELDS } = ENTRY_FIELDS;
const TOP_KEYS = ['repositories', 'defaults'];

export type ReposFileInput = {
  path: string;
  /** Settings from the environment: defaults under the file's own (never a URL or webhook secret). */
  env: SettingValues;
  cap: number;
  readFile: (path: string) => string;
  uid: number | undefined;
  problems: ConfigProblem[];
};

/** The repositories of REPOS_CONFIG_FILE; every problem of the file is reported, by JSON path. */
export function reposFromFile(input: ReposFileInput): RepoConfig[] {
  const { path, problems } = input;
  const at = (key: string) => `REPOS_CONFIG_FILE ${key}`;
  let text: string;
  try {
    text = input.readFile(path);
  } catch (error) {
    problems.push({
      setting: 'REPOS_CONFIG_FILE',
      reason: unreadableReason(path, error, input.uid),
    });
    return [];
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    problems.push({ setting: 'REPOS_CONFIG_FILE', reason: `${path} is not valid JSON` });
    return [];
  }
  if (!isObject(raw)) {
    problems.push({ setting: 'REPOS_CONFIG_FILE', reason: `${path} must hold a JSON object` });
    return [];
  }
  for (const key of Object.keys(raw))
    if (!TOP_KEYS.includes(key))
      problems.push({ setting: at(key), reason: unknownKeyReason(key, TOP_KEYS) });
  const list = raw.repositories;
  if (!Array.isArray(list) || list.length === 0) {
    problems.push({
      setting: at('repositories'),
      reason: 'must be a list of at least one repository',
    });
    return [];
  }
  let defaults: SettingValues = {};
  if (raw.defaults !== undefined) {
    if (isObject(raw.defaults)) {
      defaults = readFields(raw.defaults, DEFAULT_FIELDS, {
        mode: 'json',
        where: (key) => at(`defaults.${key}`),
        problems,
        strict: true,
      });
    } else problems.push({ setting: at('defaults'), reason: 'must be an object' });
  }
  const { github_url: _u, webhook_secret: _s, webhook_secret_file: _f, ...envDefaults } = input.env;
  const base = { ...envDefaults, ...defaults };
  const seen = new Set<string>();
  const served = new Map<string, string>();
  return list.flatMap((entry: unknown, index): RepoConfig[] => {
    const where = (key: string) => at(`repositories[${index}].${key}`);
    if (!isObject(entry)) {
      problems.push({ setting: at(`repositories[${index}]`), reason: 'must be an object' });
      return [];
    }
    const values = readFields(entry, ENTRY_FIELDS, {
      mode: 'json',
      where,
      problems,
      strict: true,
      own: ['id', 'pools'],
    });
    const id = REPO_ID.safeParse(entry.id);
    if (!id.success) {
      problems.push({
        setting: where('id'),
        reason: 'must be 1-63 letters, digits, ".", "_" or "-"',
      });
      return [];
    }
    if (seen.has(id.data)) {
      problems.push({ setting: where('id'), reason: `duplicate id "${id.data}"` });
      return [];
    }
    seen.add(id.data);
    const target =
      typeof values.github_url === 'string' ? parseGitHubUrl(values.github_url) : undefined;
    if (target) {
      // Two entries for one repository (or organization) would compete for its webhook.
      const key = `${target.host}/${scopeName(target.scope)}`.toLowerCase();
      const first = served.get(key);
      if (first !== undefined) {
        problems.push({
          setting: where('github_url'),
          reason: `serves ${scopeName(target.scope)} like "${first}": declare "pools" in one entry instead`,
        });
        return [];
      }
      served.set(key, id.data);
    }
    let pools: unknown[] | undefined;
    if (entry.pools !== undefined) {
      if (Array.isArray(entry.pools) && entry.pools.length > 0) pools = entry.pools;
      else {
        problems.push({ setting: where('pools'), reason: 'must be a list of at least one pool' });
        return [];
      }
    }
    const repo = repoFromEntry({
      id: id.data,
      values: { ...base, ...values },
      pools,
      cap: input.cap,
      where,
      readFile: input.readFile,
      uid: input.uid,
      problems,
    });
    return repo ? [repo] : [];
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
