import type { Reachability } from '../github/reachability.ts';
import type { GitHubHealth } from '../resync/repo-resync.ts';

/**
 * An entry's GitHub health: its last resync, and unreachable as soon as any request of its
 * credential found GitHub unreachable (the resync may be minutes away).
 */
export function githubHealth(
  sync: GitHubHealth | undefined,
  reach: Pick<Reachability, 'reachable' | 'lastError'> | undefined,
): GitHubHealth | undefined {
  if (!sync || !reach || reach.reachable) return sync;
  return { ...sync, reachable: false, lastError: reach.lastError ?? sync.lastError };
}
