import type { Logger } from 'pino';
import type { PoolConfig } from '../config/config-types.ts';
import { canRun } from '../domain/placement.ts';
import { RUNNER_FOLDERS_LABEL } from './container-labels.ts';
import type { RunnerRuntime } from './runtime.ts';

const VERSION_LABEL = 'org.opencontainers.image.version';
const REVISION_LABEL = 'org.opencontainers.image.revision';

export type ImageState = {
  version: string | undefined;
  revision: string | undefined;
  /** It shares its folders with the job's engine (RUNNER_FOLDERS_LABEL); unknown until read. */
  sharesFolders: boolean | undefined;
  pullError: string | undefined;
  pulledAt: number | undefined;
};

export type ImageKeeperDeps = {
  pools: readonly PoolConfig[];
  runtime: RunnerRuntime;
  log: Logger;
  now: () => number;
  /** How often a mutable tag (`auto` policy) is pulled again. */
  pullIntervalMs: number;
};

/** A reference by digest names one image forever: pulling it again brings nothing new. */
export const isPinned = (image: string): boolean => /@sha256:[0-9a-f]{64}$/.test(image);

/**
 * Keeps each pool's runner image on the engines that can run the pool, by its pull policy:
 * `missing` pulls an image an engine does not have; `auto` (the default) also pulls a tag again
 * at start and every `pullIntervalMs`, so that a new `latest` arrives (a digest is never pulled
 * twice, nor an image built here: see builtHere()); `always` pulls
 * before every runner (the runtime does). After each round it reads the
 * image's version and revision labels. A pull that fails is kept per pool for /health; runners
 * go on with the image the engine has.
 */
export class ImageKeeper {
  readonly #deps: ImageKeeperDeps;
  readonly #state = new Map<string, ImageState>();
  readonly #lastPull = new Map<string, number>();
  readonly #builtHere = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(deps: ImageKeeperDeps) {
    this.#deps = deps;
    for (const pool of deps.pools)
      this.#state.set(pool.id, {
        version: undefined,
        revision: undefined,
        sharesFolders: undefined,
        pullError: undefined,
        pulledAt: undefined,
      });
  }

  state(poolId: string): ImageState | undefined {
    return this.#state.get(poolId);
  }

  start(): void {
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running;
  }

  /** One round over every pool's image on every engine that can run the pool. */
  async tend(): Promise<void> {
    const engines = this.#deps.runtime.engines().filter((engine) => engine.up);
    for (const pool of this.#deps.pools) {
      if (this.#stopped) return;
      const state = this.#state.get(pool.id);
      if (!state) continue;
      let error: string | undefined;
      let labels: Record<string, string> | undefined;
      for (const engine of engines.filter((e) => e.platforms.length === 0 || canRun(e, pool))) {
        try {
          labels = (await this.#keep(pool, engine.id)) ?? labels;
        } catch (failure) {
          error ??= `${engine.id}: ${failure instanceof Error ? failure.message : String(failure)}`;
        }
      }
      if (labels) {
        state.version = labels[VERSION_LABEL];
        state.revision = labels[REVISION_LABEL];
        const shares = labels[RUNNER_FOLDERS_LABEL] === '1';
        if (!shares && state.sharesFolders !== false && pool.dockerMode !== 'none')
          this.#deps.log.warn(
            { pool: pool.id, image: pool.runnerImage },
            'runner image of an earlier version: its folders are not shared with the job engine',
          );
        state.sharesFolders = shares;
      }
      if (error && error !== state.pullError)
        this.#deps.log.warn(
          { pool: pool.id, image: pool.runnerImage, error },
          'runner image pull failed',
        );
      state.pullError = error;
    }
  }

  /** Pulls the pool's image onto one engine if its policy says so; returns its labels. */
  async #keep(pool: PoolConfig, engineId: string): Promise<Record<string, string> | undefined> {
    const { runtime, now, pullIntervalMs, log } = this.#deps;
    const key = `${engineId} ${pool.runnerImage} ${pool.platform ?? ''}`;
    const present = await runtime.inspectImage(engineId, pool.runnerImage);
    const last = this.#lastPull.get(key);
    // Built from a checkout (or loaded): `auto` would replace it with the registry's, or fail
    // while nothing is published there. It is left alone; a pulled tag is kept fresh.
    const builtHere = pool.pullPolicy === 'auto' && present?.local === true;
    if (builtHere && !this.#builtHere.has(key)) {
      this.#builtHere.add(key);
      log.info(
        { pool: pool.id, engine: engineId, image: pool.runnerImage },
        'runner image built on the engine: auto does not pull it',
      );
    }
    const due =
      present === undefined ||
      (pool.pullPolicy !== 'missing' &&
        !builtHere &&
        !isPinned(pool.runnerImage) &&
        (last === undefined || now() - last >= pullIntervalMs));
    if (!due) return present?.labels;
    this.#lastPull.set(key, now());
    await runtime.pullImage(engineId, pool.runnerImage, pool.platform);
    const after = await runtime.inspectImage(engineId, pool.runnerImage);
    const state = this.#state.get(pool.id);
    if (state) state.pulledAt = now();
    if (after && after.labels[VERSION_LABEL] !== present?.labels[VERSION_LABEL]) {
      log.info(
        {
          pool: pool.id,
          engine: engineId,
          image: pool.runnerImage,
          version: after.labels[VERSION_LABEL],
        },
        'runner image updated',
      );
    }
    return after?.labels;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.tend()
        .catch((error: unknown) => this.#deps.log.warn({ err: error }, 'runner image round failed'))
        .finally(() => {
          this.#running = undefined;
          // Checked often, pulled only when due: an engine that returns gets its images soon.
          this.#schedule(Math.min(this.#deps.pullIntervalMs, 60_000));
        });
    }, delayMs);
    this.#timer.unref();
  }
}
