import type { Logger } from 'pino';
import type { RepoConfig } from '../config/load-config.ts';
import type { RepoGitHub } from '../github/repo-github.ts';
import { webhookPools } from '../jobs/webhook-pools.ts';
import type { JobBook } from '../jobs/job-book.ts';
import { classifyGitHubError } from '../github/github-error.ts';
import { resyncJobs } from './resync-jobs.ts';
import { staleRunners } from './stale-runners.ts';

export type GitHubHealth = {
  reachable: boolean;
  lastError: string | undefined;
  lastSyncAt: number | undefined;
};

export type ResyncTarget = {
  trigger(): void;
  hasRunner(name: string): boolean;
  setRegisteredBusy(repoId: string, names: ReadonlySet<string>): void;
};

export type ResyncerDeps = {
  repos: RepoConfig[];
  github: (repoId: string) => RepoGitHub;
  jobs: JobBook;
  target: ResyncTarget;
  log: Logger;
  now: () => number;
  intervalMs: number;
  onResync?: (repoId: string, outcome: 'ok' | 'error') => void;
  /** Extra work per repository after the job resync (e.g. redelivery of failed webhooks). */
  extra?: ((repo: RepoConfig) => Promise<unknown>) | undefined;
};

/** Re-reads GitHub on an interval: webhooks are only the fast path. */
export class Resyncer {
  readonly #deps: ResyncerDeps;
  readonly #health = new Map<string, GitHubHealth>();
  readonly #staleSeen = new Map<string, Set<string>>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(deps: ResyncerDeps) {
    this.#deps = deps;
    for (const repo of deps.repos) {
      this.#health.set(repo.id, { reachable: true, lastError: undefined, lastSyncAt: undefined });
    }
  }

  start(): void {
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }

  health(repoId: string): GitHubHealth | undefined {
    return this.#health.get(repoId);
  }

  /** Runs one resync of every pool now (also used at start). */
  async resyncAll(): Promise<void> {
    for (const repo of this.#deps.repos) {
      if (this.#stopped) return;
      await this.#resyncRepo(repo);
    }
    this.#deps.target.trigger();
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.resyncAll().finally(() => {
        this.#running = undefined;
        this.#schedule(this.#deps.intervalMs);
      });
    }, delayMs);
    this.#timer.unref();
  }

  /** Jobs, registrations and the extra work fail separately: one failing never stops the others. */
  async #resyncRepo(repo: RepoConfig): Promise<void> {
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
    if (webhookPools(repo).length > 0) {
      await step('jobs', async () => {
        const changed = await resyncJobs(repo, await github.jobs(), deps.jobs, deps.now);
        if (changed > 0) log.info({ changed }, 'resync found job changes');
      });
    }
    await step('runners', async () => {
      const registered = await github.runners();
      deps.target.setRegisteredBusy(
        repo.id,
        new Set(registered.filter((r) => r.busy).map((r) => r.name)),
      );
      const seen = this.#staleSeen.get(repo.id) ?? new Set<string>();
      const { stale, candidates } = staleRunners(
        registered,
        [...new Set(repo.pools.map((pool) => pool.runnerNamePrefix))],
        (name) => deps.target.hasRunner(name),
        seen,
      );
      this.#staleSeen.set(repo.id, candidates);
      for (const runner of stale) {
        const result = await github.deregister(runner.name, runner.id);
        log.info({ runner: runner.name, result }, 'offline runner without container deregistered');
      }
    });
    if (deps.extra) await step('extra', async () => void (await deps.extra?.(repo)));
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
