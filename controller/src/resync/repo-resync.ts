import type { Logger } from 'pino';
import type { RepoConfig } from '../config/load-config.ts';
import { classifyGitHubError } from '../github/github-error.ts';
import type { RepoGitHub } from '../github/repo-github.ts';
import type { JobBook } from '../jobs/job-book.ts';
import type { JobIntake } from '../jobs/job-intake.ts';
import { resyncJobs } from './job-resync.ts';
import { resyncRunners, type OnRegisteredRunners } from './runner-resync.ts';

export type GitHubHealth = {
  reachable: boolean;
  lastError: string | undefined;
  lastSyncAt: number | undefined;
};

export type RepoResyncDeps = {
  repos: readonly RepoConfig[];
  github: (repoId: string) => RepoGitHub;
  /** The entry with the pools webhooks feed, when they feed any: its jobs are read too. */
  fed: (repoId: string) => RepoConfig | undefined;
  jobs: Pick<JobBook, 'unfinished'>;
  intake: Pick<JobIntake, 'book'>;
  onRunners: OnRegisteredRunners;
  /** More work for an entry webhooks feed, after its jobs (the hook's upkeep and redelivery). */
  extra?: ((repo: RepoConfig) => Promise<unknown>) | undefined;
  onResync?: (repoId: string, outcome: 'ok' | 'error') => void;
  log: Logger;
  now: () => number;
};

/**
 * One entry read from GitHub: the jobs webhooks may have missed, the runners registered there,
 * and the extra work. Each fails on its own, and the entry's GitHub health says how it went.
 */
export class RepoResync {
  readonly #deps: RepoResyncDeps;
  readonly #health = new Map<string, GitHubHealth>();

  constructor(deps: RepoResyncDeps) {
    this.#deps = deps;
    for (const repo of deps.repos)
      this.#health.set(repo.id, { reachable: true, lastError: undefined, lastSyncAt: undefined });
  }

  health(repoId: string): GitHubHealth | undefined {
    return this.#health.get(repoId);
  }

  async read(repo: RepoConfig): Promise<void> {
    const deps = this.#deps;
    const github = deps.github(repo.id);
    const log = deps.log.child({ repo: repo.id });
    const failures: unknown[] = [];
    const step = async (what: string, work: () => Promise<void>) => {
      try {
        await work();
      } catch (error) {
        failures.push(error);
        log.warn({ err: error, step: what }, 'resync with GitHub failed');
      }
    };
    const fed = deps.fed(repo.id);
    if (fed) {
      await step('jobs', async () => {
        const changed = await resyncJobs(
          fed,
          await github.jobs(),
          deps.jobs,
          deps.intake,
          deps.now,
        );
        if (changed > 0) log.info({ changed }, 'resync found job changes');
      });
    }
    await step('runners', () => resyncRunners(repo.id, github, deps.onRunners));
    const extra = deps.extra;
    if (fed && extra) await step('extra', async () => void (await extra(fed)));
    const health = this.#health.get(repo.id);
    const first = failures[0];
    if (first === undefined) {
      if (health)
        Object.assign(health, { reachable: true, lastError: undefined, lastSyncAt: deps.now() });
      deps.onResync?.(repo.id, 'ok');
    } else {
      const reachable = classifyGitHubError(first) !== 'unreachable';
      if (health) Object.assign(health, { reachable, lastError: messageOf(first) });
      deps.onResync?.(repo.id, 'error');
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
