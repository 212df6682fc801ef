import type { ConfigProblem, PoolConfig } from './config-types.ts';
import type { EngineConfig } from './engine-settings.ts';

type Located = {
  pool: Pick<PoolConfig, 'id' | 'runnerLabels' | 'jobSource'>;
  where: (key: string) => string;
};

/** A warm pool larger than its cap could never be kept: refused. */
export function warmPoolProblem(
  minIdle: number,
  maxRunners: number,
  where: (key: string) => string,
): ConfigProblem | undefined {
  if (minIdle <= maxRunners) return undefined;
  return {
    setting: where('min_idle_runners'),
    reason: `${minIdle} is more than the pool's cap of ${maxRunners} runners (max_runners, else MAX_RUNNERS)`,
  };
}

/**
 * Webhook pools of one entry with the same labels: a job goes to the first declared, so the
 * second could never be chosen. Scale-set pools are chosen by their scale set's name instead.
 */
export function sameLabelProblems(pools: Located[]): ConfigProblem[] {
  const first = new Map<string, string>();
  const problems: ConfigProblem[] = [];
  for (const { pool, where } of pools) {
    if (pool.jobSource.kind !== 'webhook') continue;
    const key = [...new Set(pool.runnerLabels.map((label) => label.toLowerCase()))]
      .sort()
      .join(',');
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, pool.id);
      continue;
    }
    problems.push({
      setting: where('runner_labels'),
      reason: `the same labels as pool "${earlier}", which every such job goes to: give one of them another label`,
    });
  }
  return problems;
}

/** A pool whose own cap is above MAX_RUNNERS: legal, but the global cap wins; said at start. */
export function capWarnings(pools: readonly PoolConfig[], maxRunners: number): string[] {
  return pools
    .filter((pool) => pool.maxRunners > maxRunners)
    .map(
      (pool) =>
        `pool ${pool.id}: max_runners ${pool.maxRunners} is above MAX_RUNNERS ${maxRunners}; MAX_RUNNERS, the cap over all pools, wins: at most ${maxRunners} of its runners run`,
    );
}

/** The socket actions/runner mounts into job containers, and host mode gives its runners. */
const HOST_SOCKET = '/var/run/docker.sock';

/**
 * Settings that start but cannot do what a user would expect of them; said at start:
 * - host mode on an engine whose socket is not the host's /var/run/docker.sock: the runner and
 *   every job container get that path of the engine's host, which is another engine or none
 *   (rootless Docker, a second dockerd), or a socket whose group is unknown here (a remote
 *   engine: Docker steps are refused);
 * - host mode with runner_network: steps no longer reach service containers at localhost;
 * - runner_runtime runsc with Docker: a runner under gVisor cannot use a Docker socket.
 */
export function dockerModeWarnings(
  pools: readonly PoolConfig[],
  engines: readonly EngineConfig[] | undefined,
): string[] {
  const warnings: string[] = [];
  const all = engines ?? [];
  for (const pool of pools) {
    if (pool.dockerMode === 'host') {
      for (const engine of all) {
        const endpoint = engine.endpoint;
        if (endpoint.kind === 'unix' && endpoint.socketPath === HOST_SOCKET) continue;
        const where =
          endpoint.kind === 'unix'
            ? `its socket is ${endpoint.socketPath}, not ${HOST_SOCKET}, which the runner and every job container get instead`
            : `it is reached over ${endpoint.kind.toUpperCase()}: the runner gets ${HOST_SOCKET} of that host, whose group is not known here, so Docker steps may be refused`;
        warnings.push(
          `pool ${pool.id}: host mode on engine ${engine.name}: ${where}; use dind there`,
        );
      }
      if (pool.network !== undefined && pool.network !== 'host')
        warnings.push(
          `pool ${pool.id}: host mode with runner_network ${pool.network}: steps reach service containers at the host's address, not at localhost as on GitHub's runners`,
        );
    }
    if (pool.runtimes.runner === 'runsc' && pool.dockerMode !== 'none')
      warnings.push(
        `pool ${pool.id}: runner_runtime runsc with runner_docker_mode ${pool.dockerMode}: a runner under gVisor cannot use a Docker socket; runsc suits runner_docker_mode none`,
      );
  }
  return warnings;
}
