import type { ConfigProblem, PoolConfig } from './config-types.ts';

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
