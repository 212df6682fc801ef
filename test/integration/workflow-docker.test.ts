import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIND_IMAGE } from '../support/dind-helpers.ts';
import { docker, noLeftovers } from '../support/docker-cleanup.ts';
import { createHarness, type Harness } from '../support/harness.ts';
import { ensureStandinRunnerImage } from '../support/runner-image.ts';
import {
  containerJob,
  describeReports,
  expectContainerJob,
  expectRunnerJob,
  runnerJob,
  stepReports,
  type StepReport,
} from '../support/standin-workflows.ts';
import { createTestNetwork, type TestNetwork } from '../support/test-network.ts';
import { waitUntil } from '../support/wait-until.ts';
import { startWorkflowRegistry, type WorkflowRegistry } from '../support/workflow-images.ts';

// Real workflows drive the job's Docker engine through the runner, with bind mounts of the
// runner's own folders (container jobs, Docker actions, services, `docker run -v`). The runner
// here is the product's runner image with the stand-in tarball, whose worker does with Docker
// what actions/runner does (test/support/runner-tarball/bin/standin-worker.sh), as uid 1001.
const ROOT = new URL('../..', import.meta.url).pathname;
let standin: string;
let net: TestNetwork;
let registry: WorkflowRegistry;
let h: Harness;

beforeAll(async () => {
  await promisify(execFile)('sh', ['test/support/build-dind-images.sh'], { cwd: ROOT });
  standin = await ensureStandinRunnerImage();
  net = await createTestNetwork();
  registry = await startWorkflowRegistry(net.name);
}, 600_000);

afterAll(async () => {
  await registry.remove();
  await net.remove();
});

beforeEach(async () => {
  h = await createHarness({ host: net.gateway });
});

afterEach(async (context) => {
  await h.cleanup(context);
});

/**
 * Queues the workflows one after the other on a pool of one runner; each job's id and its steps'
 * reports.
 */
async function runJobs(workflows: unknown[]): Promise<{ id: number; reports: StepReport[] }[]> {
  const jobs = [];
  for (const workflow of workflows)
    jobs.push(await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 0, workflow }));
  for (const job of jobs)
    await waitUntil(
      () => h.fake.job(job.id)?.status === 'completed',
      240_000,
      `job ${job.id} completed:\n${describeReports(stepReports(h.fake, job.id))}`,
    );
  return jobs.map((job) => {
    const reports = stepReports(h.fake, job.id);
    expect(h.fake.job(job.id)?.conclusion, describeReports(reports)).toBe('success');
    return { id: job.id, reports };
  });
}

describe('workflows that use Docker through the runner', () => {
  it('run green in dind mode: container job, Docker action, service, docker run -v, each on a fresh runner', async () => {
    await h.start({
      RUNNER_DOCKER_MODE: 'dind',
      DIND_IMAGE,
      DIND_PRIVILEGED: 'false',
      DIND_REGISTRY_MIRROR: `http://${registry.name}:5000`,
      RUNNER_IMAGE: standin,
      RUNNER_NETWORK: net.name,
      MAX_RUNNERS: '1',
    });
    const [container, steps] = await runJobs([
      containerJob(registry.hubRef),
      runnerJob(registry.hubRef),
    ]);
    expectContainerJob(container?.reports ?? [], container?.id ?? 0);
    expectRunnerJob(steps?.reports ?? [], steps?.id ?? 0);
    // The second runner's engine was fresh: only what its own job pulled.
    expect(steps?.reports[1]?.outputs.images?.trim()).toBe('wf-service');
    await noLeftovers(h.controllerId);
  });

  it('run green in host mode: the runner runs from a folder whose path is the same on the host', async () => {
    await h.start({
      RUNNER_DOCKER_MODE: 'host',
      RUNNER_IMAGE: standin,
      RUNNER_NETWORK: '',
      MAX_RUNNERS: '1',
    });
    const networksBefore = await jobNetworks();
    const [container, steps] = await runJobs([
      containerJob(registry.hostRef),
      runnerJob(registry.hostRef),
    ]);
    expectContainerJob(container?.reports ?? [], container?.id ?? 0);
    expectRunnerJob(steps?.reports ?? [], steps?.id ?? 0);
    await noLeftovers(h.controllerId);
    // The runner removed its job's containers and network from the host's engine.
    expect(await jobNetworks()).toEqual(networksBefore);
    const left = await docker.listContainers({ all: true });
    expect(left.filter((c) => c.Image.includes('/library/wf-'))).toEqual([]);
  });
});

async function jobNetworks(): Promise<string[]> {
  const networks = await docker.listNetworks();
  return networks
    .map((network) => network.Name)
    .filter((name) => name.startsWith('github_network_'))
    .sort();
}
