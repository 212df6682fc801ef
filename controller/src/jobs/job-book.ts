import { RANK, type JobAction, type JobEvent, type JobIdSpace } from './job-event.ts';

export type Job = {
  poolId: string;
  repoId: string;
  idSpace: JobIdSpace;
  repository: string;
  id: number;
  runId: number;
  labels: string[];
  state: JobAction;
  runnerName: string | undefined;
  queuedAt: number;
  startedAt: number | undefined;
  completedAt: number | undefined;
  /** Its runners kept dying before taking it: no more runners are started for it. */
  givenUp: boolean;
  conclusion: string | undefined;
};

export type ApplyResult = 'new' | 'advanced' | 'duplicate';

/**
 * What is known of each job, keyed by job id. States only move forward, so duplicate,
 * redelivered and reordered events cannot move a job back to waiting.
 */
export class JobBook {
  /** By key: a pool's own job ids are numbered apart from GitHub's (jobKey). */
  readonly #jobs = new Map<string, Job>();
  readonly #retainCompletedMs: number;

  readonly #onChange: ((job: Job, previous: JobAction | undefined) => void) | undefined;

  constructor(
    options: {
      retainCompletedMs?: number;
      onChange?: (job: Job, previous: JobAction | undefined) => void;
    } = {},
  ) {
    this.#retainCompletedMs = options.retainCompletedMs ?? 3_600_000;
    this.#onChange = options.onChange;
  }

  apply(event: JobEvent): ApplyResult {
    const idSpace = event.idSpace ?? 'github';
    const key = jobKey(idSpace, event.poolId, event.jobId);
    const known = this.#jobs.get(key);
    if (known && RANK[event.action] <= RANK[known.state]) return 'duplicate';
    const previous = known?.state;
    const job: Job = known ?? {
      poolId: event.poolId,
      repoId: event.repoId,
      idSpace,
      repository: event.repository,
      id: event.jobId,
      runId: event.runId,
      labels: event.labels,
      state: event.action,
      runnerName: undefined,
      queuedAt: event.at,
      startedAt: undefined,
      completedAt: undefined,
      givenUp: false,
      conclusion: undefined,
    };
    job.state = event.action;
    if (event.runnerName) job.runnerName = event.runnerName;
    if (event.action === 'in_progress') job.startedAt = event.at;
    if (event.action === 'completed') {
      job.completedAt = event.at;
      job.conclusion = event.conclusion;
    }
    this.#jobs.set(key, job);
    this.#onChange?.(job, previous);
    return known ? 'advanced' : 'new';
  }

  /** A GitHub job by its id. */
  get(jobId: number): Job | undefined {
    return this.#jobs.get(jobKey('github', '', jobId));
  }

  /** A pool's job by the id its runner carries: GitHub's job id, or the pool's own. */
  find(jobId: number, poolId: string): Job | undefined {
    const github = this.#jobs.get(jobKey('github', '', jobId));
    if (github?.poolId === poolId) return github;
    return this.#jobs.get(jobKey('pool', poolId, jobId));
  }

  waiting(poolId?: string): Job[] {
    const out: Job[] = [];
    for (const job of this.#jobs.values()) {
      if (job.state !== 'queued' || job.givenUp) continue;
      if (poolId === undefined || job.poolId === poolId) out.push(job);
    }
    return out.sort((a, b) => a.queuedAt - b.queuedAt);
  }

  /** Every pool's waiting jobs, oldest first, in one pass over the book (a pool with none: absent). */
  waitingByPool(): Map<string, Job[]> {
    const byPool = new Map<string, Job[]>();
    for (const job of this.waiting()) {
      const list = byPool.get(job.poolId);
      if (list) list.push(job);
      else byPool.set(job.poolId, [job]);
    }
    return byPool;
  }

  /** A repository's jobs not completed yet (queued, given up or not, in progress), oldest first. */
  unfinished(repoId: string): Job[] {
    const out: Job[] = [];
    for (const job of this.#jobs.values()) {
      if (job.repoId === repoId && job.state !== 'completed') out.push(job);
    }
    return out.sort((a, b) => a.queuedAt - b.queuedAt);
  }

  giveUp(jobId: number, poolId: string): void {
    const job = this.find(jobId, poolId);
    if (job) job.givenUp = true;
  }

  /** Gives a pool's given-up jobs another chance; returns how many. */
  retryGivenUp(poolId: string): number {
    let count = 0;
    for (const job of this.#jobs.values()) {
      if (job.poolId !== poolId || !job.givenUp) continue;
      job.givenUp = false;
      if (job.state === 'queued') count += 1;
    }
    return count;
  }

  all(): Job[] {
    return [...this.#jobs.values()];
  }

  /** Forgets completed jobs after a while; the id stays long enough to reject late duplicates. */
  prune(now: number): void {
    for (const [key, job] of this.#jobs) {
      if (job.completedAt !== undefined && now - job.completedAt > this.#retainCompletedMs) {
        this.#jobs.delete(key);
      }
    }
  }
}

function jobKey(idSpace: JobIdSpace, poolId: string, jobId: number): string {
  return idSpace === 'pool' ? `p:${poolId}:${jobId}` : `g:${jobId}`;
}
