import type { PoolConfig, RepoConfig } from '../config/config-types.ts';
import type { Registrar } from '../domain/registrar.ts';
import type { RepoGitHub } from './repo-github.ts';

/** A pool's runners registered with GitHub's REST API, with the pool's labels and runner group. */
export function restRegistrar(
  github: RepoGitHub,
  pool: Pick<PoolConfig, 'runnerLabels' | 'runnerGroup'>,
): Registrar {
  const registration = { labels: pool.runnerLabels, runnerGroup: pool.runnerGroup };
  return {
    register: (name) => github.jitConfig(name, registration),
    deregister: (name, runnerId) => github.deregister(name, runnerId),
  };
}

/** The REST registrar of each pool of these entries, by pool id. */
export function restRegistrars(
  repos: readonly RepoConfig[],
  github: (repoId: string) => RepoGitHub,
): [string, Registrar][] {
  return repos.flatMap((repo) =>
    repo.pools.map((pool): [string, Registrar] => [pool.id, restRegistrar(github(repo.id), pool)]),
  );
}
