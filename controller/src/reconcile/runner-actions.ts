import type { Logger } from 'pino';
import type { PoolConfig } from '../config/load-config.ts';
import type { Registrar } from '../domain/registrar.ts';
import { httpStatusOf, ImagePullFailed } from '../domain/runner-failures.ts';
import { runtimeSettings, type RunnerRuntime } from '../runners/runtime.ts';
import type { InFlight, RunnerView } from './observe-runners.ts';
import type { PoolHealthBook, StartFailure } from './pool-health.ts';
import { newRunnerName } from './runner-name.ts';
import type { RunnerProgress } from './runner-progress.ts';

export type ActionEvents = {
  spawned?: (poolId: string, durationMs: number, jobId: number | undefined) => void;
  dockerError?: (operation: 'list' | 'start' | 'remove') => void;
  spawnFailed?: (poolId: string) => void;
  removed?: (poolId: string, reason: 'exited' | 'idle') => void;
};

export type RunnerActionsDeps = {
  runtime: RunnerRuntime;
  /** Each pool's registrar (REST or its scale set's): asked, never chosen, here. */
  registrars: ReadonlyMap<string, Registrar>;
  poolOf: (poolId: string) => PoolConfig | undefined;
  log: Logger;
  now: () => number;
  health: PoolHealthBook;
  progress: RunnerProgress;
  events: ActionEvents;
  runnerName: ((pool: PoolConfig) => string) | undefined;
  /** The number of the reconciler's latest listing. */
  listing: () => number;
  /** Something changed: the reconciler should look again. */
  trigger: () => void;
  /** Look again in this many milliseconds. */
  wakeIn: (ms: number) => void;
};

/**
 * Carries out the planner's actions on GitHub and the engine, in the background: a spawn
 * registers a runner (JIT) and starts its container; a removal takes the container with its
 * sidecar and volumes; a retirement deregisters an idle runner first (GitHub refuses a busy one).
 */
export class RunnerActions {
  /** Spawns under way or just done, counted until a listing shows their containers. */
  readonly inFlight = new Map<string, InFlight>();
  readonly #deps: RunnerActionsDeps;
  readonly #spawning = new Set<Promise<void>>();
  readonly #removing = new Set<string>();
  readonly #runnerIds = new Map<string, number>();
  /** Runners whose start failed: what the engine still has of them is to be removed. */
  readonly abandoned = new Set<string>();
  /**
   * Idle runners GitHub refused to deregister because they had taken a job whose `in_progress`
   * event has not come yet: busy until their container goes (not retired again at every pass).
   */
  readonly tookJob = new Set<string>();

  constructor(deps: RunnerActionsDeps) {
    this.#deps = deps;
  }

  isRemoving(name: string): boolean {
    return this.#removing.has(name);
  }

  /** Spawns registering or starting right now. */
  get spawning(): number {
    return this.#spawning.size;
  }

  /** Resolves when the spawns under way have finished, well or not. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#spawning]);
  }

  spawn(pool: PoolConfig, engineId: string, jobId: number | undefined, now: number): void {
    const name = this.#deps.runnerName?.(pool) ?? newRunnerName(pool.runnerNamePrefix);
    const entry: InFlight = { poolId: pool.id, engineId, since: now, jobId };
    this.inFlight.set(name, entry);
    this.#deps.progress.started(name);
    const log = this.#deps.log.child({
      runner: name,
      repo: pool.repoId,
      pool: pool.id,
      engine: engineId,
      jobId,
    });
    let stage: 'registration' | 'start' = 'registration';
    const work = (async () => {
      const jit = await this.#registrar(pool.id).register(name);
      stage = 'start';
      this.#runnerIds.set(name, jit.runnerId);
      log.info({ runnerId: jit.runnerId }, 'runner registered');
      await this.#deps.runtime
        .start({
          name,
          pool: runtimeSettings(pool),
          engineId,
          jitConfig: jit.encodedJitConfig,
          jobId,
        })
        .catch((error: unknown) => {
          this.#deps.events.dockerError?.('start');
          throw error;
        });
      log.info('runner started');
    })().then(
      () => {
        entry.doneAtListing = this.#deps.listing();
        this.#deps.health.startSucceeded(pool.id);
        this.#deps.events.spawned?.(pool.id, this.#deps.now() - now, jobId);
      },
      (error: unknown) => {
        this.inFlight.delete(name);
        this.abandoned.add(name);
        this.#deps.progress.forget(name);
        const delay = this.#deps.health.startFailed(
          pool.id,
          startFailure(stage, error, this.#deps.now()),
        );
        this.#deps.events.spawnFailed?.(pool.id);
        log.error({ err: error, retryInMs: delay }, 'runner spawn failed');
        this.#deps.wakeIn(delay);
        const runnerId = this.#runnerIds.get(name);
        if (runnerId === undefined) return;
        this.#runnerIds.delete(name);
        this.#registrar(pool.id)
          .deregister(name, runnerId)
          .catch((cleanupError: unknown) =>
            log.warn({ err: cleanupError }, 'deregistering a runner that did not start failed'),
          );
      },
    );
    const tracked = work.finally(() => {
      this.#spawning.delete(tracked);
      this.#deps.trigger();
    });
    this.#spawning.add(tracked);
  }

  /** Removes a runner that exited (or can never work: stranded), saying which. */
  cleanUp(name: string, poolId: string, view: RunnerView | undefined): void {
    if (view && view.containerId !== '' && !this.#removing.has(name)) {
      const fields = {
        runner: name,
        pool: poolId,
        jobId: view.jobId,
        exitCode: view.exitCode,
        stranded: view.stranded,
      };
      if (view.stranded) this.#deps.log.warn(fields, 'runner stranded, removing it');
      else this.#deps.log.info(fields, 'runner exited');
    }
    this.remove(name, poolId, 'exited');
  }

  remove(name: string, poolId: string, reason: 'exited' | 'idle'): void {
    if (this.#removing.has(name)) return;
    this.#removing.add(name);
    this.#deps.runtime
      .remove(name)
      .then(
        () => {
          this.#deps.log.info({ runner: name, pool: poolId, reason }, 'runner removed');
          this.#deps.events.removed?.(poolId, reason);
          this.#deps.progress.forget(name);
          this.#runnerIds.delete(name);
          this.abandoned.delete(name);
          this.tookJob.delete(name);
        },
        (error: unknown) => {
          this.#deps.events.dockerError?.('remove');
          this.#deps.log.warn({ err: error, runner: name }, 'runner removal failed');
        },
      )
      .finally(() => {
        this.#removing.delete(name);
        this.#deps.trigger();
      });
  }

  retire(name: string, poolId: string): void {
    if (this.#removing.has(name)) return;
    this.#removing.add(name);
    const log = this.#deps.log.child({ runner: name, pool: poolId });
    const pool = this.#deps.poolOf(poolId);
    if (!pool) {
      this.#removing.delete(name);
      log.warn('idle runner of a pool no longer configured: left to exit by itself');
      return;
    }
    this.#registrar(pool.id)
      .deregister(name, this.#runnerIds.get(name))
      .then(
        (result) => {
          this.#removing.delete(name);
          if (result === 'busy') {
            this.tookJob.add(name);
            this.#deps.trigger();
            return log.info('idle runner took a job; kept');
          }
          this.remove(name, poolId, 'idle');
        },
        (error: unknown) => {
          this.#removing.delete(name);
          log.warn({ err: error }, 'deregistering an idle runner failed');
        },
      );
  }

  /** Removes a registration left without a runner (offline, and no container has its name). */
  deregister(name: string, poolId: string, runnerId: number): void {
    const log = this.#deps.log.child({ runner: name, pool: poolId });
    this.#registrar(poolId)
      .deregister(name, runnerId)
      .then(
        (result) => log.info({ result }, 'offline runner without container deregistered'),
        (error: unknown) => log.warn({ err: error }, 'deregistering an offline runner failed'),
      );
  }

  #registrar(poolId: string): Registrar {
    return this.#deps.registrars.get(poolId) ?? unregistered(poolId);
  }
}

/** Which step of a spawn failed: the registration (with GitHub's status), the image, the start. */
function startFailure(stage: 'registration' | 'start', error: unknown, at: number): StartFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (stage === 'registration')
    return { stage: 'registration', error: message, status: httpStatusOf(error), at };
  return error instanceof ImagePullFailed
    ? { stage: 'image', error: message, at }
    : { stage: 'start', error: message, at };
}

/** What a pool without a registrar answers (every pool gets one when wired). */
function unregistered(poolId: string): Registrar {
  const refuse = () => Promise.reject(new Error(`pool ${poolId} has no registrar`));
  return { register: refuse, deregister: refuse };
}
