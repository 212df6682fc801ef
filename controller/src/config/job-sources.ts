import type { JobSourceConfig, PoolConfig, RepoConfig } from './config-types.ts';

/** A pool whose jobs come from its runner scale set. */
export type ScaleSetPoolConfig = PoolConfig & {
  jobSource: Extract<JobSourceConfig, { kind: 'scaleset' }>;
};

/**
 * The entries whose pools webhooks feed, each with those pools only (entries without one are
 * left out): what the webhook intake, the job resync and the hook upkeep serve. Scale-set pools
 * get their jobs from their own queue.
 */
export function webhookEntries(repos: readonly RepoConfig[]): RepoConfig[] {
  return repos.flatMap((repo) => {
    const pools = repo.pools.filter((pool) => pool.jobSource.kind === 'webhook');
    return pools.length === 0 ? [] : [{ ...repo, pools }];
  });
}

export function scaleSetPools(pools: readonly PoolConfig[]): ScaleSetPoolConfig[] {
  return pools.flatMap((pool) =>
    pool.jobSource.kind === 'scaleset' ? [{ ...pool, jobSource: pool.jobSource }] : [],
  );
}

/** How /health names a pool's job source: `webhook` or `scaleset:<name>`. */
export function jobSourceName(source: JobSourceConfig): string {
  return source.kind === 'scaleset' ? `scaleset:${source.scaleSetName}` : 'webhook';
}
