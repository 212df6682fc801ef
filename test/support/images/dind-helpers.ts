import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll } from 'vitest';
import { docker, runnerContainers } from '../harness/docker-cleanup.ts';
import { harnessForEachTest, type Harness } from '../harness/harness.ts';
import { createTestNetwork, type TestNetwork } from '../harness/test-network.ts';
import type { FakeGitHub } from '../fakes/fake-github/index.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;

/**
 * For a test file: the dind and registry stand-ins and the stubs that use Docker
 * (build-dind-images.sh) built before its tests, about two minutes the first time on a machine.
 */
export function buildDindImagesFirst(): void {
  beforeAll(async () => {
    await promisify(execFile)('sh', ['test/support/images/build-dind-images.sh'], { cwd: ROOT });
  }, 300_000);
}

/**
 * For a dind test file: the images built first, then for each test a network of its own (a
 * dind engine must not share the host's network namespace) and a harness whose fake GitHub
 * listens where its runners reach it; after the test, the harness's cleanup, the network's
 * removal (and what was on it), then `afterCleanup`.
 */
export function dindHarnessForEachTest(
  use: (made: { h: Harness; net: TestNetwork }) => void,
  afterCleanup?: () => Promise<unknown>,
): void {
  buildDindImagesFirst();
  let net: TestNetwork | undefined;
  harnessForEachTest(
    (h) => {
      if (net) use({ h, net });
    },
    {
      fake: async () => {
        net = await createTestNetwork();
        return { host: net.gateway };
      },
      afterCleanup: async () => {
        await net?.remove();
        net = undefined;
        await afterCleanup?.();
      },
    },
  );
}

/** The stand-in for docker:dind, run with the explicit capability set (no --privileged here). */
export const DIND_IMAGE = 'autoscaler-test/dind:local';
export const LABEL = {
  name: 'io.runner-autoscaler.runner-name',
  pool: 'io.runner-autoscaler.pool',
  role: 'io.runner-autoscaler.role',
  cacheVolume: 'io.runner-autoscaler.cache-volume',
  controller: 'io.runner-autoscaler.controller',
} as const;

/** The volume a sidecar has as its /var/lib/docker ('' once it is gone). */
export async function dataRootOf(containerId: string): Promise<string> {
  const info = await docker
    .getContainer(containerId)
    .inspect()
    .catch(() => undefined);
  const mount = info?.Mounts.find((m) => m.Destination === '/var/lib/docker');
  return mount?.Name ?? '';
}

/** The running sidecars of a controller, with their pool and data-root volume. */
export async function runningSidecars(controllerId: string) {
  const sidecars = (await runnerContainers(controllerId, 'dind')).filter(
    (c) => c.State === 'running',
  );
  const found = await Promise.all(
    sidecars.map(async (c) => ({
      id: c.Id,
      runner: c.Labels[LABEL.name] ?? '',
      pool: c.Labels[LABEL.pool] ?? '',
      cacheVolume: c.Labels[LABEL.cacheVolume],
      dataRoot: await dataRootOf(c.Id),
    })),
  );
  // One removed between the listing and its inspection is no longer running.
  return found.filter((sidecar) => sidecar.dataRoot !== '');
}

/** The cache volumes of a controller (role `cache`), with their pool. */
export async function cacheVolumes(controllerId: string) {
  const { Volumes } = await docker.listVolumes({
    filters: { label: [`${LABEL.controller}=${controllerId}`, `${LABEL.role}=cache`] },
  });
  return (Volumes ?? []).map((v) => ({ name: v.Name, pool: v.Labels?.[LABEL.pool] ?? '' }));
}

/** What a job reported (`key=value` pairs, POST …/report), as numbers. */
export function reportOf(fake: FakeGitHub, jobId: number): Record<string, number> | undefined {
  const report = fake.reports().find((r) => r.jobId === jobId);
  if (!report) return undefined;
  return Object.fromEntries(
    report.text
      .trim()
      .split(/\s+/)
      .map((pair) => pair.split('='))
      .map(([key, value]) => [key ?? '', Number(value)]),
  );
}
