import Docker from 'dockerode';
import type { DockerEngine } from '../../../controller/src/runners/docker-engine.ts';
import { waitUntil } from './wait-until.ts';

export const docker = new Docker();

/** The shared engine as the runtime sees it: the local socket, capacity 4. */
export const localEngine = (platforms: string[] | undefined): DockerEngine => ({
  id: 'local',
  docker,
  streams: docker,
  capacity: 4,
  endpoint: 'unix:///var/run/docker.sock',
  labels: {},
  platforms,
});
const CONTROLLER_LABEL = 'io.runner-autoscaler.controller';

/** A fresh controller id per test, so its containers and volumes can be found and removed. */
export function testControllerId(): string {
  return `test-${Math.random().toString(36).slice(2, 10)}`;
}

export async function runnerContainers(controllerId: string, role = 'runner') {
  return docker.listContainers({
    all: true,
    filters: {
      label: [`${CONTROLLER_LABEL}=${controllerId}`, `io.runner-autoscaler.role=${role}`],
    },
  });
}

/**
 * Removes every container and volume a test's controller made, whatever state the test left;
 * returns how many containers and volumes there were.
 */
export async function removeAllOf(controllerId: string): Promise<number> {
  const filters = { label: [`${CONTROLLER_LABEL}=${controllerId}`] };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((info) =>
      docker
        .getContainer(info.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
  const volumes = await docker.listVolumes({ filters });
  await Promise.all(
    (volumes.Volumes ?? []).map((v) =>
      docker
        .getVolume(v.Name)
        .remove()
        .catch(() => undefined),
    ),
  );
  return containers.length + (volumes.Volumes ?? []).length;
}

export async function leftovers(
  controllerId: string,
): Promise<{ containers: number; volumes: number }> {
  const filters = { label: [`${CONTROLLER_LABEL}=${controllerId}`] };
  const containers = await docker.listContainers({ all: true, filters });
  const volumes = await docker.listVolumes({ filters });
  return { containers: containers.length, volumes: (volumes.Volumes ?? []).length };
}

/** Waits until no container or volume of the controller is left (runners, sidecars, volumes). */
export async function noLeftovers(controllerId: string, timeoutMs = 30_000): Promise<void> {
  await waitUntil(
    async () => {
      const left = await leftovers(controllerId);
      return left.containers === 0 && left.volumes === 0;
    },
    timeoutMs,
    'no container or volume of the controller left',
  );
}

/**
 * Samples the number of runner containers until stopped; returns the highest count seen, in all
 * (`max`) and per repository id (`maxByRepo`).
 */
export function sampleRunnerCount(controllerId: string, everyMs = 50) {
  let max = 0;
  const maxByRepo: Record<string, number> = {};
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const list = await runnerContainers(controllerId).catch(() => []);
      max = Math.max(max, list.length);
      const byRepo = new Map<string, number>();
      for (const container of list) {
        const repo = container.Labels['io.runner-autoscaler.repo'] ?? '';
        byRepo.set(repo, (byRepo.get(repo) ?? 0) + 1);
      }
      for (const [repo, count] of byRepo) maxByRepo[repo] = Math.max(maxByRepo[repo] ?? 0, count);
      samples += 1;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { max, maxByRepo, samples };
    },
  };
}
