import type { Logger } from 'pino';
import type { RepoConfig } from '../config/load-config.ts';
import { abortableSleep } from '../shared/abortable-sleep.ts';

export type ResyncScheduleDeps = {
  repos: readonly RepoConfig[];
  /** Reads one entry from GitHub (its own failures are its own: it never throws). */
  read: (repo: RepoConfig) => Promise<void>;
  log: Logger;
  now: () => number;
  intervalMs: number;
  /** The credential of each repository entry: the entries sharing one share its budget. */
  credentialOf?: (repoId: string) => string;
  /** GitHub requests a minute the resync may make with one credential. */
  budgetPerMinute?: number;
  /** Requests made so far with a credential (every kind): a resync's cost is the difference. */
  requestsMade?: (credential: string) => number;
  /** How long reading every repository of a credential once took, in seconds. */
  onCycle?: (credential: string, seconds: number) => void;
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
 * When each entry is read from GitHub again (webhooks are only the fast path). Each credential has a lane
 * that reads its repositories one at a time and spends its budget evenly (a resync that cost n
 * requests waits n / budget minutes), so a thousand repositories on one token stay inside GitHub's
 * secondary limits: when they cannot all be read every interval, the quiet ones are read less
 * often, taking turns with those with recent traffic, and a warning says how often.
 */
export class ResyncSchedule {
  readonly #deps: ResyncScheduleDeps;
  readonly #lastSync = new Map<string, number>();
  readonly #lastTraffic = new Map<string, number>();
  readonly #cost = new Map<string, number>();
  readonly #lanes: Lane[];
  /** Aborted at stop: it ends the lanes' waits. */
  readonly #stopping = new AbortController();
  readonly #warned = new Map<string, number>();
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(deps: ResyncScheduleDeps) {
    this.#deps = deps;
    const lanes = new Map<string, Lane>();
    for (const repo of deps.repos) {
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
    this.#stopping.abort();
    await this.#running;
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
    await deps.read(repo);
    const after = deps.requestsMade?.(lane.credential);
    const cost =
      before === undefined || after === undefined ? ASSUMED_COST : Math.max(1, after - before);
    this.#cost.set(repo.id, cost);
    this.#lastSync.set(repo.id, deps.now());
    lane.seen.add(repo.id);
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
}
