import type { PoolConfig, RepoConfig } from '../config/config-types.ts';

/** The pools webhooks and resync feed: scale-set pools get their jobs from their own queue. */
export const webhookPools = (repo: RepoConfig): PoolConfig[] =>
  repo.pools.filter((pool) => pool.jobSource.kind === 'webhook');
