import type { Logger } from 'pino';
import type { JobBook } from '../jobs/job-book.ts';
import type { RunnerView } from './observe-runners.ts';
import type { PoolHealthBook } from './pool-health.ts';

export type ProgressEvents = {
  exitedEarly?: (poolId: string) => void;
  gaveUp?: (poolId: string) => void;
};

export type ProgressDeps = {
  jobs: JobBook;
  health: PoolHealthBook;
  log: Logger;
  now: () => number;
  events: ProgressEvents;
};

/**
 * What each runner did, once per runner, and what it means for its pool: a runner that took a
 * job clears the pool's trouble (and gives its given-up jobs another chance); one that exited
 * before taking a job backs the pool off and, after too many, has its job given up.
 */
export class RunnerProgress {
  readonly #deps: ProgressDeps;
  readonly #noted = new Set<string>();
  /** Runners seen starting, idle or busy, or started here: only their exits can be early. */
  readonly #seenAlive = new Set<string>();

  constructor(deps: ProgressDeps) {
    this.#deps = deps;
  }

  started(name: string): void {
    this.#seenAlive.add(name);
  }

  forget(name: string): void {
    this.#noted.delete(name);
    this.#seenAlive.delete(name);
  }

  /** `removing`: the controller itself is removing it (retired), which is no failure. */
  note(view: RunnerView, tookJob: boolean, removing: boolean): void {
    if (this.#noted.has(view.name)) return;
    if (tookJob) {
      this.#noted.add(view.name);
      this.#tookJob(view);
      return;
    }
    if (view.phase !== 'exited') {
      if (view.containerId !== '') this.#seenAlive.add(view.name);
      return;
    }
    if (view.containerId === '' || removing) return;
    this.#noted.add(view.name);
    // Found exited (after a restart): what it did while nobody watched is unknown.
    if (this.#seenAlive.has(view.name)) this.#exitedEarly(view);
  }

  #tookJob(view: RunnerView): void {
    const { jobs, health, log } = this.#deps;
    health.tookJob(view.poolId);
    log.info({ runner: view.name, repo: view.poolId, jobId: view.jobId }, 'runner took job');
    // The pool works again: jobs given up while it did not get another chance.
    const retried = jobs.retryGivenUp(view.poolId);
    if (retried > 0) log.info({ repo: view.poolId, jobs: retried }, 'given-up jobs retried');
  }

  #exitedEarly(view: RunnerView): void {
    const { jobs, health, events } = this.#deps;
    // Exit code 0 is a runner that ran to its end (its job's events may be late or lost): it
    // slows the pool down like any early exit, but its job is not blamed.
    const blamed = view.exitCode === 0 ? undefined : view.jobId;
    const verdict = health.exitedEarly(
      view.poolId,
      blamed,
      view.exitCode,
      this.#deps.now(),
      view.name,
    );
    const log = this.#deps.log.child({ runner: view.name, repo: view.poolId, jobId: view.jobId });
    events.exitedEarly?.(view.poolId);
    if (verdict.outdated) {
      log.error(
        'runner image is outdated: GitHub no longer accepts its runner version; spawning paused',
      );
    } else {
      log.warn(
        { exitCode: view.exitCode, stranded: view.stranded, retryInMs: verdict.delayMs },
        'runner exited before taking a job',
      );
    }
    if (verdict.giveUp && blamed !== undefined) {
      jobs.giveUp(blamed, view.poolId);
      events.gaveUp?.(view.poolId);
      log.error('job given up: its runners keep exiting before taking it');
    }
  }
}
