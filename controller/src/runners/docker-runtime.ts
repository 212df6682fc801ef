import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { returnCache, sweepCaches, type CacheDeps } from './cache-return.ts';
import { CacheLeases, type CachePlan } from './cache-volumes.ts';
import { LABELS, RUNNER_FOLDERS_LABEL } from './container-labels.ts';
import {
  dindContainer,
  runnerContainer,
  volumeLabels,
  volumeNames,
  type RunnerEngine,
  type SpecOptions,
} from './container-spec.ts';
import { idempotent, isNotFound, type DockerEngine } from './docker-engine.ts';
import { cgroupVersionOf, emulatedPlatforms, nativePlatform } from './engine-platforms.ts';
import { readRuntimes } from './engine-runtimes.ts';
import { builtHere } from './image-origin.ts';
import { bounded, listEngine, ownFilter } from './list-engine.ts';
import { ListingFreshness } from './listing-freshness.ts';
import { createPulling, pull } from './pull-image.ts';
import type { RegistryAuth } from './registry-auth.ts';
import type {
  EngineStatus,
  Listing,
  RunnerContainer,
  RunnerRuntime,
  RunnerSpec,
  RuntimeEvent,
} from './runtime.ts';
import { watchEngine } from './watch-engine.ts';

export type DockerRuntimeOptions = {
  engines: DockerEngine[];
  controllerId: string;
  log: Logger;
  now?: () => number;
  /** Images with a shell that may be on an engine, to probe its emulated platforms with. */
  probeImages?: readonly string[];
  /** Credentials for the registry an image is on. */
  registryAuth?: (image: string) => RegistryAuth | undefined;
  /** An engine that does not list its containers within this is taken as down; 30 s. */
  listTimeoutMs?: number;
  /** The pools that keep a build cache (cachePlanOf): their volumes are leased, kept and swept. */
  cachePlan?: CachePlan;
};

type EngineState = {
  engine: DockerEngine;
  up: boolean;
  error: string | undefined;
  downSince: number | undefined;
  /** Its containers at its last good listing: what may still run while it is unreachable. */
  lastSeen: RunnerContainer[];
  platforms: string[];
  /** Platform detection is due (at start, and when the engine returns). */
  detect: boolean;
  /** The OCI runtimes it offers, read when it answers (again when it returns). */
  runtimes: string[] | undefined;
  /** Its cgroup version, read before its first sidecar (again after it returns). */
  cgroupVersion: string | undefined;
  /** Cache volumes no pool keeps any more were removed since it last answered. */
  swept: boolean;
  /** Whether its last listing still stands (no event, start or removal since). */
  freshness: ListingFreshness;
};

/** Runner containers on one or more Docker engines, found again by their labels. */
export function createDockerRuntime(options: DockerRuntimeOptions): RunnerRuntime {
  const { controllerId, log } = options;
  const now = options.now ?? Date.now;
  const states = new Map<string, EngineState>(
    options.engines.map((engine) => [
      engine.id,
      {
        engine,
        up: true,
        error: undefined,
        downSince: undefined,
        lastSeen: [],
        platforms: engine.platforms ?? [],
        detect: engine.platforms === undefined,
        runtimes: undefined,
        cgroupVersion: undefined,
        swept: false,
        freshness: new ListingFreshness(now),
      },
    ]),
  );
  const cache: CacheDeps = {
    controllerId,
    plan: options.cachePlan ?? new Map(),
    leases: new CacheLeases(controllerId),
    log,
  };

  const specOptions = (engine: DockerEngine): SpecOptions => ({
    controllerId,
    engineId: engine.id,
    socketGroup: engine.socketGroup,
  });

  async function detectPlatforms(state: EngineState): Promise<void> {
    const native = await nativePlatform(state.engine);
    const emulated = await emulatedPlatforms(
      state.engine,
      controllerId,
      options.probeImages ?? [],
    ).catch((error: unknown) => {
      log.warn({ engine: state.engine.id, err: error }, 'probing emulated platforms failed');
      return [];
    });
    state.platforms = [...new Set([...(native ? [native] : []), ...emulated])];
    state.detect = false;
    log.info({ engine: state.engine.id, platforms: state.platforms }, 'docker engine platforms');
  }

  async function listOne(state: EngineState): Promise<void> {
    if (state.up && state.freshness.fresh()) return;
    state.freshness.listing();
    try {
      const containers = await bounded(
        listEngine(state.engine, controllerId),
        options.listTimeoutMs ?? 30_000,
        `docker engine ${state.engine.id} did not answer its listing`,
      );
      if (!state.up) log.info({ engine: state.engine.id }, 'docker engine answers again');
      if (!state.up && state.engine.platforms === undefined) state.detect = true;
      // A returning engine may have been set up anew (another runtime, another cgroup version).
      if (!state.up)
        Object.assign(state, { cgroupVersion: undefined, swept: false, runtimes: undefined });
      Object.assign(state, { up: true, error: undefined, downSince: undefined });
      state.lastSeen = containers;
      if (state.detect) await detectPlatforms(state).catch(() => undefined);
      state.runtimes ??= await readRuntimes(state.engine).catch((error: unknown) => {
        log.warn({ engine: state.engine.id, err: error }, 'reading docker engine runtimes failed');
        return undefined;
      });
      if (!state.swept)
        await sweepCaches(cache, state.engine).then(
          () => (state.swept = true),
          (error: unknown) =>
            log.warn({ engine: state.engine.id, err: error }, 'sweeping cache volumes failed'),
        );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      state.freshness.changed();
      if (state.up) log.warn({ engine: state.engine.id, err: error }, 'docker engine unreachable');
      state.downSince ??= now();
      Object.assign(state, { up: false, error: message });
    }
  }

  const create = (
    engine: DockerEngine,
    spec: Docker.ContainerCreateOptions,
    platform: string | undefined,
  ) => createPulling(engine, spec, platform, options.registryAuth, log);

  async function start(spec: RunnerSpec): Promise<void> {
    const state = states.get(spec.engineId);
    if (!state) throw new Error(`no Docker engine named ${spec.engineId}`);
    const engine = state.engine;
    const opts = specOptions(engine);
    if (spec.pool.pullPolicy === 'always') {
      const image = spec.pool.runnerImage;
      await pull(engine.streams, image, spec.pool.platform, options.registryAuth?.(image));
    }
    try {
      const shared = spec.pool.dockerMode !== 'none' && (await sharesFolders(engine, spec));
      if (spec.pool.dockerMode === 'dind') await startWithSidecar(state, spec, opts, shared);
      else await startAlone(state, spec, opts, shared);
    } catch (error) {
      await removeFrom(engine, spec.name).catch((cleanupError: unknown) =>
        log.warn({ err: cleanupError, runner: spec.name }, 'cleanup after failed start failed'),
      );
      throw error;
    } finally {
      // A listing begun before this start ended may lack its containers: never use it again.
      state.freshness.changed();
    }
  }

  /**
   * The sidecar is created, then started while the runner is created: the engine copies the
   * runner image's externals into their volume at that create (a few hundred MB with the
   * official runner), and dockerd starts meanwhile.
   */
  async function startWithSidecar(
    state: EngineState,
    spec: RunnerSpec,
    opts: SpecOptions,
    sharedFolders: boolean,
  ): Promise<void> {
    const sidecar = await createSidecar(state, spec, opts, sharedFolders);
    const runner = runnerContainer(spec, opts, {
      mode: 'dind',
      sidecarId: sidecar.id,
      sharedFolders,
    });
    const [started, created] = await Promise.allSettled([
      sidecar.start(),
      create(state.engine, runner, spec.pool.platform),
    ]);
    if (started.status === 'rejected') throw started.reason;
    if (created.status === 'rejected') throw created.reason;
    await created.value.start();
  }

  /**
   * Whether the pool's runner image shares its folders with the job's engine (its label; the
   * image is pulled first if the engine lacks it). Images of earlier versions do not: their
   * runners get the containers of earlier versions, and /health says what they lack.
   */
  async function sharesFolders(engine: DockerEngine, spec: RunnerSpec): Promise<boolean> {
    const image = spec.pool.runnerImage;
    const read = () => engine.docker.getImage(image).inspect();
    const info = await read().catch(async (error: unknown) => {
      if (!isNotFound(error)) throw error;
      log.info({ image, engine: engine.id }, 'pulling image');
      await pull(engine.streams, image, spec.pool.platform, options.registryAuth?.(image));
      return read();
    });
    return info.Config.Labels?.[RUNNER_FOLDERS_LABEL] === '1';
  }

  /** A runner without a sidecar; in host mode with its root volume. */
  async function startAlone(
    state: EngineState,
    spec: RunnerSpec,
    opts: SpecOptions,
    sharedFolders: boolean,
  ) {
    let runnerEngine: RunnerEngine = { mode: 'none' };
    if (spec.pool.dockerMode === 'host') {
      let rootPath: string | undefined;
      if (sharedFolders) {
        const volume = await state.engine.docker.createVolume({
          Name: volumeNames(spec.name).root,
          Labels: volumeLabels(spec, opts),
        });
        rootPath = (await volume.inspect()).Mountpoint;
      }
      runnerEngine = { mode: 'host', rootPath };
    }
    const runner = runnerContainer(spec, opts, runnerEngine);
    await (await create(state.engine, runner, spec.pool.platform)).start();
  }

  /** Its own volumes, or a leased cache volume (held until the sidecar's label names it). */
  async function createSidecar(
    state: EngineState,
    spec: RunnerSpec,
    opts: SpecOptions,
    sharedFolders: boolean,
  ): Promise<Docker.Container> {
    const engine = state.engine;
    state.cgroupVersion ??= await cgroupVersionOf(engine);
    const slots = cache.plan.get(spec.pool.id)?.volumes ?? 0;
    const cacheVolume = slots > 0 ? await cache.leases.lease(engine, spec.pool, slots) : undefined;
    try {
      const labels = { Labels: volumeLabels(spec, opts) };
      const names = volumeNames(spec.name);
      if (!cacheVolume) await engine.docker.createVolume({ Name: names.docker, ...labels });
      const own = sharedFolders ? [names.socket, names.work, names.externals] : [names.socket];
      for (const volume of own) await engine.docker.createVolume({ Name: volume, ...labels });
      const sidecar = dindContainer(spec, opts, {
        sharedFolders,
        dataVolume: cacheVolume ?? names.docker,
        cacheVolume,
        cgroupVersion: state.cgroupVersion,
      });
      return await create(engine, sidecar, undefined);
    } finally {
      if (cacheVolume) cache.leases.release(engine.id, cacheVolume);
    }
  }

  async function removeFrom(engine: DockerEngine, name: string): Promise<void> {
    const filters = ownFilter(controllerId, [`${LABELS.runnerName}=${name}`]);
    const containers = await engine.docker.listContainers({ all: true, filters });
    // The runner goes first: a sidecar still in use by its runner cannot lose its volumes.
    containers.sort(
      (a, b) =>
        (a.Labels[LABELS.role] === 'runner' ? -1 : 0) -
        (b.Labels[LABELS.role] === 'runner' ? -1 : 0),
    );
    for (const info of containers) {
      if (info.Labels[LABELS.cacheVolume]) await returnCache(cache, engine, info);
      else
        await idempotent(() =>
          engine.docker.getContainer(info.Id).remove({ force: true, v: true }),
        );
    }
    const volumes = await engine.docker.listVolumes({ filters });
    for (const volume of volumes.Volumes ?? []) {
      if (volume.Labels?.[LABELS.role] === 'cache') continue;
      await idempotent(() => engine.docker.getVolume(volume.Name).remove());
    }
  }

  return {
    engines: (): EngineStatus[] =>
      [...states.values()].map((state) => ({
        id: state.engine.id,
        endpoint: state.engine.endpoint,
        capacity: state.engine.capacity,
        labels: state.engine.labels,
        up: state.up,
        platforms: state.platforms,
        runtimes: state.runtimes,
        error: state.error,
        downSince: state.downSince,
      })),
    list: async (): Promise<Listing> => {
      const all = [...states.values()];
      const reused = all.filter((state) => state.up && state.freshness.fresh());
      await Promise.all(all.map(listOne));
      const expiries = reused.map((state) => state.freshness.expiresAt());
      return {
        ...(expiries.length > 0 && { reusedUntil: Math.min(...expiries) }),
        containers: all.filter((s) => s.up).flatMap((s) => s.lastSeen),
        unreachable: all
          .filter((s) => !s.up)
          .flatMap((s) => s.lastSeen.filter((c) => c.state !== 'exited')),
      };
    },
    start,
    remove: async (name) => {
      // A name is on one engine; the others answer with nothing to remove. An engine that does
      // not answer keeps what it has until it returns (its listing then shows it again).
      const up = [...states.values()].filter((state) => state.up);
      await Promise.all(
        up.map((state) => removeFrom(state.engine, name).finally(() => state.freshness.changed())),
      );
    },
    pullImage: async (engineId, image, platform) => {
      const state = states.get(engineId);
      if (!state) throw new Error(`no Docker engine named ${engineId}`);
      await pull(state.engine.streams, image, platform, options.registryAuth?.(image));
    },
    inspectImage: async (engineId, image) => {
      const state = states.get(engineId);
      if (!state) return undefined;
      try {
        const info = await state.engine.docker.getImage(image).inspect();
        const labels = info.Config.Labels ?? {};
        return { labels, local: builtHere({ labels, repoDigests: info.RepoDigests }) };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    watch: (onEvent: (event: RuntimeEvent) => void) => {
      const all = [...states.values()];
      const stops = all.map((state) =>
        watchEngine(
          state.engine,
          ownFilter(controllerId),
          (event) => {
            state.freshness.event(event);
            onEvent(event);
          },
          log,
        ),
      );
      return () => {
        stops.forEach((stop) => stop());
        all.forEach((state) => state.freshness.unwatched());
      };
    },
  };
}
