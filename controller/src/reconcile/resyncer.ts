import type { Logger } from 'pino';
import type { RepoConfig } from '../config/load-config.ts';
import type { RepoGitHub } from '../github/repo-github.ts';
import type { JobBook } from '../jobs/job-book.ts';
import type { JobIntake } from '../jobs/job-intake.ts';
import { classifyGitHubError } from '../github/github-error.ts';
import { resyncJobs } from './resync-jobs.ts';
import { staleRunners } from './stale-runners.ts';
import { abortableSleep } from '../scaleset/backoff.ts';

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
  /** The entries webhooks feed, with those pools (webhookEntries): their jobs are resynced. */
  webhookRepos: readonly RepoConfig[];
  github: (repoId: string) => RepoGitHub;
  jobs: JobBook;
  intake: Pick<JobIntake, 'book'>;
  target: ResyncTarget;
  log: Logger;
  now: () => number;
  intervalMs: number;
  /** The credential of each repository entry: the entries sharing one share its budget. */
  credentialOf?: (repoId: string) => string;
  /** GitHub requests a minute the resync may make with one credential. */
  budgetPerMinute?: number;
  /** Requests made so far with a credential (every kind): a resync's cost is the difference. */
  requestsMade?: (credential: string) => number;
  onResync?: (repoId: string, outcome: 'ok' | 'error') => void;
  /** How long reading every repository of a credential once took, in seconds. */
  onCycle?: (credential: string, seconds: number) => void;
  /** Extra work per repository after the job resync (e.g. redelivery of failed webhooks). */
  extra?: ((repo: RepoConfig) => Promise<unknown>) | undefined;
};

/** The budget when none is set: under a quarter of GitHub's 900 points a minute, the rest for writes. */
export const RESYNC_BUDGET_PER_MINUTE = 200;
/** What one repository's resync is assumed to cost until it was measured (runs twice, runners). */
const ASSUMED_COST = 3;
/** A repository with webhook traffic this recent is read first when it is due. */
const ACTIVE_FOR_MS = 15 * 60_000;

type Lane = {
  credential: string;
  repos: RepoConfig[];
  cycleStartedAt: number;
  seen: Set<string>;
  lastRoundMs: number | undefined;
  /** The last repository read had recent traffic. */
  lastWasActive: boolean;
};

/**
 * Re-reads GitHub on an interval: webhooks are only the fast path. Each credential has a lane
 * that reads its repositories one at a time and spends its budget evenly (a resync that cost n
 * requests waits n / budget minutes), so a thousand repositories on one token stay inside GitHub's
 * secondary limits: when they cannot all be read every interval, the quiet ones are read less
 * often, taking turns with those with recent traffic, and a warning says how often.
 */
export class Resyncer {
  readonly #deps: ResyncerDeps;
  readonly #health = new Map<string, GitHubHealth>();
  readonly #staleSeen = new Map<string, Set<string>>();
  readonly #lastSync = new Map<string, number>();
  readonly #lastTraffic = new Map<string, number>();
  readonly #cost = new Map<string, number>();
  readonly #lanes: Lane[];
  readonly #fed: ReadonlyMap<string, RepoConfig>;
  /** Aborted at stop: it ends the lanes' waits. */
  readonly #stopping = new AbortController();
  readonly #warned = new Map<string, number>();
  #running: Promise<void> | undefined;
  #stopped = false;
  #dockerTimer: NodeJS.Timeout | undefined;

  constructor(deps: ResyncerDeps) {
    this.#deps = deps;
    this.#fed = new Map(deps.webhookRepos.map((repo) => [repo.id, repo]));
    const lanes = new Map<string, Lane>();
    for (const repo of deps.repos) {
      this.#health.set(repo.id, { reachable: true, lastError: undefined, lastSyncAt: undefined });
      const credential = deps.credentialOf?.(repo.id) ?? repo.id;
      const lane: Lane = lanes.get(credential) ?? {
        credential,
        repos: [],
        cycleStartedAt: 0,
        seen: new Set<string>(),
        lastRoundMs: undefined,
        lastWasActive: false,
      };
      lane.repos.push(repo);
      lanes.set(credential, lane);
    }
    this.#lanes = [...lanes.values()];
  }

  start(): void {
    const now = this.#deps.now();
    // The engine's state is re-read every interval, however long GitHub's reads take.
    this.#dockerTimer = setInterval(() => this.#deps.target.trigger(), this.#deps.intervalMs);
    this.#dockerTimer.unref();
    for (const lane of this.#lanes) this.#warnIfUncovered(lane, ASSUMED_COST);
    this.#running = Promise.all(
      this.#lanes.map((lane) => {
        lane.cycleStartedAt = now;
        return this.#run(lane);
      }),
    ).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#dockerTimer);
    this.#stopping.abort();
    await this.#running;
  }

  health(repoId: string): GitHubHealth | undefined {
    return this.#health.get(repoId);
  }

  /** Each credential's lane: its repositories and how long its last round took. */
  rounds(): { credential: string; repositories: number; lastRoundMs: number | undefined }[] {
    return this.#lanes.map((lane) => ({
      credential: lane.credential,
      repositories: lane.repos.length,
      lastRoundMs: lane.lastRoundMs,
    }));
  }

  /** A webhook came for the repository: it is read first whenever it is due. */
  noteTraffic(repoId: string): void {
    this.#lastTraffic.set(repoId, this.#deps.now());
  }

  /** The repositories' budget: what one credential's lane may spend a minute. */
  get budgetPerMinute(): number {
    return this.#deps.budgetPerMinute ?? RESYNC_BUDGET_PER_MINUTE;
  }

  async #run(lane: Lane): Promise<void> {
    const deps = this.#deps;
    while (!this.#stopped) {
      try {
        await this.#step(lane);
      } catch (error) {
        // Never expected (each step handles its own failures); a lane must not end on it.
        deps.log.error({ err: error, credential: lane.credential }, 'resync lane failed');
        await this.#sleep(this.#deps.intervalMs);
      }
    }
  }

  /** Reads the next due repository of a lane and spends its cost, or waits for one to be due. */
  async #step(lane: Lane): Promise<void> {
    const deps = this.#deps;
    const repo = this.#next(lane);
    if (!repo) {
      const dueAt = Math.min(...lane.repos.map((r) => this.#dueAt(r)));
      await this.#sleep(Math.max(0, dueAt - deps.now()));
      return;
    }
    lane.lastWasActive = this.#active(repo, deps.now());
    const before = deps.requestsMade?.(lane.credential);
    const changed = await this.#resyncRepo(repo);
    const after = deps.requestsMade?.(lane.credential);
    const cost =
      before === undefined || after === undefined ? ASSUMED_COST : Math.max(1, after - before);
    this.#cost.set(repo.id, cost);
    this.#lastSync.set(repo.id, deps.now());
    lane.seen.add(repo.id);
    if (changed) deps.target.trigger();
    if (lane.seen.size >= lane.repos.length) this.#endCycle(lane);
    await this.#sleep((cost * 60_000) / this.budgetPerMinute);
  }

  #dueAt(repo: RepoConfig): number {
    return (this.#lastSync.get(repo.id) ?? -Infinity) + this.#deps.intervalMs;
  }

  #active(repo: RepoConfig, now: number): boolean {
    return now - (this.#lastTraffic.get(repo.id) ?? -Infinity) < ACTIVE_FOR_MS;
  }

  /**
   * The due repository to read next, the longest unread first: one with recent traffic before a
   * quiet one, but never twice in a row while a quiet one is due, so quiet repositories keep at
   * least half of the budget however busy the others are.
   */
  #next(lane: Lane): RepoConfig | undefined {
    const now = this.#deps.now();
    let active: RepoConfig | undefined;
    let quiet: RepoConfig | undefined;
    const older = (a: RepoConfig | undefined, b: RepoConfig) =>
      a === undefined ||
      (this.#lastSync.get(b.id) ?? -Infinity) < (this.#lastSync.get(a.id) ?? -Infinity);
    for (const repo of lane.repos) {
      if (this.#dueAt(repo) > now) continue;
      if (this.#active(repo, now)) {
        if (older(active, repo)) active = repo;
      } else if (older(quiet, repo)) quiet = repo;
    }
    if (active && quiet) return lane.lastWasActive ? quiet : active;
    return active ?? quiet;
  }

  #endCycle(lane: Lane): void {
    const now = this.#deps.now();
    lane.lastRoundMs = now - lane.cycleStartedAt;
    const seconds = lane.lastRoundMs / 1000;
    this.#deps.onCycle?.(lane.credential, seconds);
    const costs = lane.repos.map((repo) => this.#cost.get(repo.id) ?? ASSUMED_COST);
    this.#warnIfUncovered(lane, costs.reduce((sum, cost) => sum + cost, 0) / costs.length);
    lane.seen.clear();
    lane.cycleStartedAt = now;
  }

  /** Says so (once, and again when it gets worse) when a lane cannot keep to the interval. */
  #warnIfUncovered(lane: Lane, costPerRepo: number): void {
    const needMs = (lane.repos.length * costPerRepo * 60_000) / this.budgetPerMinute;
    if (needMs <= this.#deps.intervalMs) return;
    const seconds = Math.ceil(needMs / 1000);
    if (seconds <= (this.#warned.get(lane.credential) ?? 0) * 1.2) return;
    this.#warned.set(lane.credential, seconds);
    this.#deps.log.warn(
      {
        credential: lane.credential,
        repositories: lane.repos.length,
        requestsPerRepository: Math.round(costPerRepo * 10) / 10,
        budgetPerMinute: this.budgetPerMinute,
        intervalSeconds: this.#deps.intervalMs / 1000,
        everyRepositoryWithinSeconds: seconds,
      },
      'resync cannot read every repository of this credential each interval within its budget: those with recent webhooks go first, taking turns with the others, which are read less often',
    );
  }

  #sleep(ms: number): Promise<void> {
    return abortableSleep(ms, this.#stopping.signal);
  }

  /** Jobs, registrations and the extra work fail separately: one failing never stops the others. */
  async #resyncRepo(repo: RepoConfig): Promise<boolean> {
    const deps = this.#deps;
    let changedAny = false;
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
    const fed = this.#fed.get(repo.id);
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
        if (changed > 0) changedAny = true;
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
        changedAny = true;
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
    return changedAny;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
