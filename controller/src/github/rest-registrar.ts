import type { PoolConfig } from '../config/config-types.ts';
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
