/**
 * What last kept a pool from getting a working runner: its registration (with GitHub's status,
 * when it answered), its image, its container's start, or a runner that exited before taking a
 * job. Kept as long as `lastError`, which says the same in a sentence.
 */
export type PoolFailure =
  | { stage: 'registration'; error: string; status: number | undefined; at: number }
  | { stage: 'image'; error: string; at: number }
  | { stage: 'start'; error: string; at: number }
  | {
      stage: 'early-exit';
      runner: string;
      exitCode: number | undefined;
      /** Exit code 7: GitHub no longer accepts the runner's version. */
      outdated: boolean;
      at: number;
    };

/** A failure to register or start a runner, as the runner actions report it. */
export type StartFailure = Extract<PoolFailure, { stage: 'registration' | 'image' | 'start' }>;

export type PoolHealth = {
  /** Consecutive failures to register or start a runner. */
  startFailures: number;
  /** Consecutive runners that exited without taking a job. */
  earlyExits: number;
  blockedUntil: number;
  imageOutdated: boolean;
  lastError: string | undefined;
  lastFailure: PoolFailure | undefined;
  givenUpJobs: number;
};

const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;
/** After an outdated-runner exit, one more try after this long (the image may have been updated). */
const OUTDATED_RETRY_MS = 10 * 60_000;
export const MAX_ATTEMPTS_PER_JOB = 5;

/** A pool's health before anything has gone wrong. */
export const healthyPool = (): PoolHealth => ({
  startFailures: 0,
  earlyExits: 0,
  blockedUntil: 0,
  imageOutdated: false,
  lastError: undefined,
  lastFailure: undefined,
  givenUpJobs: 0,
});

/**
 * Failure bookkeeping per pool: exponential backoff (1 s doubling to 60 s) over consecutive
 * start failures and early exits, and per-job attempt counts so a job whose runners keep dying
 * is given up instead of retried forever.
 */
export class PoolHealthBook {
  readonly #pools = new Map<string, PoolHealth>();
  readonly #attempts = new Map<number, number>();

  constructor(poolIds: string[]) {
    for (const id of poolIds) {
      this.#pools.set(id, healthyPool());
    }
  }

  get(poolId: string): PoolHealth | undefined {
    return this.#pools.get(poolId);
  }

  startSucceeded(poolId: string): void {
    const health = this.#pools.get(poolId);
    if (!health) return;
    health.startFailures = 0;
    if (health.earlyExits === 0) clearFailure(health);
  }

  /** A registration or start failed (at `failure.at`); returns the backoff delay now in force. */
  startFailed(poolId: string, failure: StartFailure): number {
    const health = this.#pools.get(poolId);
    if (!health) return 0;
    health.startFailures += 1;
    health.lastError = failure.error;
    health.lastFailure = failure;
    return this.#backOff(health, failure.at);
  }

  /** A runner of the pool took a job: its image and registration work. */
  tookJob(poolId: string): void {
    const health = this.#pools.get(poolId);
    if (!health) return;
    health.earlyExits = 0;
    health.imageOutdated = false;
    // Its given-up jobs are retried (JobBook.retryGivenUp).
    health.givenUpJobs = 0;
    if (health.startFailures === 0) {
      clearFailure(health);
      health.blockedUntil = 0;
    }
  }

  /**
   * A runner exited before it took a job. Returns the backoff delay, and whether the job that
   * caused the runner has now failed too often and is to be given up.
   */
  exitedEarly(
    poolId: string,
    jobId: number | undefined,
    exitCode: number | undefined,
    now: number,
    runner = '',
  ): { delayMs: number; giveUp: boolean; outdated: boolean } {
    const health = this.#pools.get(poolId);
    if (!health) return { delayMs: 0, giveUp: false, outdated: false };
    health.earlyExits += 1;
    health.lastError = `runner exited with code ${exitCode ?? 'unknown'} before taking a job`;
    const outdated = exitCode === 7;
    health.lastFailure = { stage: 'early-exit', runner, exitCode, outdated, at: now };
    if (outdated) {
      const firstTime = !health.imageOutdated;
      health.imageOutdated = true;
      health.lastError = 'runner version is outdated: update the runner image';
      health.blockedUntil = now + OUTDATED_RETRY_MS;
      return { delayMs: OUTDATED_RETRY_MS, giveUp: false, outdated: firstTime };
    }
    const delayMs = this.#backOff(health, now);
    if (jobId === undefined) return { delayMs, giveUp: false, outdated: false };
    const attempts = (this.#attempts.get(jobId) ?? 0) + 1;
    this.#attempts.set(jobId, attempts);
    const giveUp = attempts >= MAX_ATTEMPTS_PER_JOB;
    if (giveUp) {
      this.#attempts.delete(jobId);
      health.givenUpJobs += 1;
    }
    return { delayMs, giveUp, outdated: false };
  }

  #backOff(health: PoolHealth, now: number): number {
    const failures = health.startFailures + health.earlyExits;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
    health.blockedUntil = Math.max(health.blockedUntil, now + delay);
    return delay;
  }
}

function clearFailure(health: PoolHealth): void {
  health.lastError = undefined;
  health.lastFailure = undefined;
}
