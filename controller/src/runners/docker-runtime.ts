import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { LABELS, poolOfLabels } from './container-labels.ts';
import { dindContainer, runnerContainer, volumeNames, type SpecOptions } from './container-spec.ts';
import { idempotent, isNotFound, type DockerEngine } from './docker-engine.ts';
import type { RunnerContainer, RunnerRuntime, RunnerSpec, RuntimeEvent } from './runtime.ts';
import { watchEngine } from './watch-engine.ts';

export type DockerRuntimeOptions = {
  engines: DockerEngine[];
  controllerId: string;
  log: Logger;
};

/** Runner containers on one or more Docker engines, found again by their labels. */
export function createDockerRuntime(options: DockerRuntimeOptions): RunnerRuntime {
  const { engines, controllerId, log } = options;
  const ownFilter = (extra: string[] = []) => ({
    label: [`${LABELS.controller}=${controllerId}`, ...extra],
  });
  const placed = new Map<string, number>();

  const specOptions = (engine: DockerEngine): SpecOptions => ({
    controllerId,
    engineId: engine.id,
    socketGroup: engine.socketGroup,
  });

  async function listEngine(engine: DockerEngine): Promise<RunnerContainer[]> {
    const [containers, volumes] = await Promise.all([
      engine.docker.listContainers({ all: true, filters: ownFilter() }),
      engine.docker.listVolumes({ filters: ownFilter() }),
    ]);
    const byName = new Map<string, RunnerContainer>();
    const orphan = (name: string, poolId: string): RunnerContainer => ({
      name,
      poolId,
      engineId: engine.id,
      containerId: '',
      state: 'exited',
      exitCode: undefined,
      createdAt: 0,
      startedAt: undefined,
      jobId: undefined,
      sidecarDown: false,
    });
    const stoppedSidecars = new Set<string>();
    for (const info of containers) {
      const labels = info.Labels;
      const name = labels[LABELS.runnerName];
      const poolId = poolOfLabels(labels);
      if (!name) continue;
      if (labels[LABELS.role] !== 'runner') {
        if (info.State !== 'running' && info.State !== 'created') stoppedSidecars.add(name);
        if (!byName.has(name)) byName.set(name, orphan(name, poolId));
        continue;
      }
      const jobId = Number(labels[LABELS.jobId]);
      byName.set(name, {
        name,
        poolId,
        engineId: engine.id,
        containerId: info.Id,
        state:
          info.State === 'running' ? 'running' : info.State === 'created' ? 'created' : 'exited',
        exitCode: exitCodeOf(info.Status),
        createdAt: info.Created * 1000,
        startedAt: undefined,
        jobId: Number.isFinite(jobId) ? jobId : undefined,
        sidecarDown: false,
      });
    }
    for (const name of stoppedSidecars) {
      const runner = byName.get(name);
      if (runner && runner.containerId !== '') runner.sidecarDown = true;
    }
    for (const volume of volumes.Volumes ?? []) {
      const name = volume.Labels?.[LABELS.runnerName];
      if (name && !byName.has(name))
        byName.set(name, orphan(name, poolOfLabels(volume.Labels ?? {})));
    }
    placed.set(engine.id, byName.size);
    return [...byName.values()];
  }

  function pickEngine(): DockerEngine {
    let best: DockerEngine | undefined;
    let bestFree = -Infinity;
    for (const engine of engines) {
      const free = engine.capacity - (placed.get(engine.id) ?? 0);
      if (free > bestFree) [best, bestFree] = [engine, free];
    }
    if (!best) throw new Error('no Docker engine configured');
    return best;
  }

  async function createStarted(
    engine: DockerEngine,
    create: Docker.ContainerCreateOptions,
  ): Promise<string> {
    let container: Docker.Container;
    try {
      container = await engine.docker.createContainer(create);
    } catch (error) {
      if (!isNotFound(error) || !create.Image) throw error;
      log.info({ image: create.Image, engine: engine.id }, 'pulling image');
      await pull(engine.streams, create.Image);
      container = await engine.docker.createContainer(create);
    }
    await container.start();
    return container.id;
  }

  async function start(spec: RunnerSpec): Promise<void> {
    const engine = pickEngine();
    placed.set(engine.id, (placed.get(engine.id) ?? 0) + 1);
    const opts = specOptions(engine);
    try {
      let sidecarId: string | undefined;
      if (spec.pool.dockerMode === 'dind') {
        const labels = { Labels: runnerLabels(spec, opts) };
        const names = volumeNames(spec.name);
        await engine.docker.createVolume({ Name: names.docker, ...labels });
        await engine.docker.createVolume({ Name: names.socket, ...labels });
        sidecarId = await createStarted(engine, dindContainer(spec, opts, names.docker));
      }
      await createStarted(engine, runnerContainer(spec, opts, sidecarId));
    } catch (error) {
      await removeFrom(engine, spec.name).catch((cleanupError: unknown) =>
        log.warn({ err: cleanupError, runner: spec.name }, 'cleanup after failed start failed'),
      );
      throw error;
    }
  }

  async function removeFrom(engine: DockerEngine, name: string): Promise<void> {
    const filters = ownFilter([`${LABELS.runnerName}=${name}`]);
    const containers = await engine.docker.listContainers({ all: true, filters });
    // The runner goes first: a sidecar still in use by its runner cannot lose its volumes.
    containers.sort(
      (a, b) =>
        (a.Labels[LABELS.role] === 'runner' ? -1 : 0) -
        (b.Labels[LABELS.role] === 'runner' ? -1 : 0),
    );
    for (const info of containers) {
      await idempotent(() => engine.docker.getContainer(info.Id).remove({ force: true, v: true }));
    }
    const volumes = await engine.docker.listVolumes({ filters });
    for (const volume of volumes.Volumes ?? []) {
      await idempotent(() => engine.docker.getVolume(volume.Name).remove());
    }
  }

  return {
    capacity: () => engines.reduce((sum, engine) => sum + engine.capacity, 0),
    list: async () => (await Promise.all(engines.map(listEngine))).flat(),
    start,
    remove: async (name) => {
      await Promise.all(engines.map((engine) => removeFrom(engine, name)));
    },
    watch: (onEvent: (event: RuntimeEvent) => void) => {
      const stops = engines.map((engine) => watchEngine(engine, ownFilter(), onEvent, log));
      return () => stops.forEach((stop) => stop());
    },
    ping: () =>
      Promise.all(
        engines.map(async (engine) => ({
          engineId: engine.id,
          ok: await engine.docker.ping().then(
            () => true,
            () => false,
          ),
        })),
      ),
  };
}

function runnerLabels(spec: RunnerSpec, opts: SpecOptions): Record<string, string> {
  return {
    [LABELS.controller]: opts.controllerId,
    [LABELS.repo]: spec.pool.repoId,
    [LABELS.pool]: spec.pool.id,
    [LABELS.runnerName]: spec.name,
  };
}

function exitCodeOf(status: string): number | undefined {
  const match = /^Exited \((\d+)\)/.exec(status);
  return match ? Number(match[1]) : undefined;
}

async function pull(docker: Docker, image: string): Promise<void> {
  const stream = await docker.pull(image);
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null) =>
      error ? reject(error) : resolve(),
    );
  });
}
