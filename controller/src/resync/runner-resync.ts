import type { RegisteredRunner } from '../domain/registrar.ts';
import type { RepoGitHub } from '../github/repo-github.ts';

/**
 * Where an entry's registered runners go: the reconciler, which keeps those GitHub says are busy
 * and has the planner deregister those left offline without a container.
 */
export type OnRegisteredRunners = (repoId: string, runners: readonly RegisteredRunner[]) => void;

/** Reads the runners registered in an entry (a conditional GET: free when unchanged). */
export async function resyncRunners(
  repoId: string,
  github: Pick<RepoGitHub, 'runners'>,
  report: OnRegisteredRunners,
): Promise<void> {
  report(repoId, await github.runners());
}
