import { LABELS, poolOfLabels } from './container-labels.ts';
import type { DockerEngine } from './docker-engine.ts';
import type { RunnerContainer } from './runtime.ts';

export const ownFilter = (controllerId: string, extra: string[] = []) => ({
  label: [`${LABELS.controller}=${controllerId}`, ...extra],
});

/**
 * This controller's runners on one engine, found by label: a runner with its state; a sidecar
 * or volume without its runner is listed as an exited leftover (so that it is removed).
 */
export async function listEngine(
  engine: DockerEngine,
  controllerId: string,
): Promise<RunnerContainer[]> {
  const filters = ownFilter(controllerId);
  const [containers, volumes] = await Promise.all([
    engine.docker.listContainers({ all: true, filters }),
    engine.docker.listVolumes({ filters }),
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
    const role = labels[LABELS.role];
    if (!name || (role !== 'runner' && role !== 'dind')) continue;
    const poolId = poolOfLabels(labels);
    if (role === 'dind') {
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
      state: info.State === 'running' ? 'running' : info.State === 'created' ? 'created' : 'exited',
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
    const labels = volume.Labels ?? {};
    const name = labels[LABELS.runnerName];
    // A pool's cache volume outlives its runners; it is no leftover.
    if (name && !byName.has(name) && labels[LABELS.role] !== 'cache')
      byName.set(name, orphan(name, poolOfLabels(labels)));
  }
  return [...byName.values()];
}

function exitCodeOf(status: string): number | undefined {
  const match = /^Exited \((\d+)\)/.exec(status);
  return match ? Number(match[1]) : undefined;
}

/** `work`, or a rejection once `ms` has passed without it settling. */
export async function bounded<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
