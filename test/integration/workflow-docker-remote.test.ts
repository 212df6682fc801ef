import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIND_IMAGE } from '../support/images/dind-helpers.ts';
import { loadImages } from '../support/rigs/engine-images.ts';
import { startExtraDockerd, type ExtraDockerd } from '../support/rigs/extra-dockerd.ts';
import { createHarness, type Harness } from '../support/harness/harness.ts';
import { rigIsGone } from '../support/rigs/rig-checks.ts';
import { ensureStandinRunnerImage } from '../support/images/runner-image.ts';
import {
  containerJob,
  describeReports,
  expectContainerJob,
  expectRunnerJob,
  runnerJob,
  stepReports,
} from '../support/images/standin-workflows.ts';
import { createTestNetwork, type TestNetwork } from '../support/harness/test-network.ts';
import { waitUntil } from '../support/harness/wait-until.ts';
import { startWorkflowRegistry, type WorkflowRegistry } from '../support/images/workflow-images.ts';

// The workflows of workflow-docker.test.ts in dind mode on a second engine that the controller
// reaches over TCP with TLS (DOCKER_ENGINES): the controller cannot touch that host's
// filesystem, and the runner's folders reach the sidecar through the engine's own volumes.
const ROOT = new URL('../..', import.meta.url).pathname;
let engine: ExtraDockerd;
let net: TestNetwork;
let registry: WorkflowRegistry & { port: number };
let h: Harness | undefined;
let standin: string;

beforeAll(async () => {
  await promisify(execFile)('sh', ['test/support/images/build-dind-images.sh'], { cwd: ROOT });
  standin = await ensureStandinRunnerImage();
  engine = await startExtraDockerd({ name: 'rig-wf', tcp: { tls: true } });
  await loadImages(engine.docker, [standin, DIND_IMAGE]);
  net = await createTestNetwork();
  // Sidecars on the second engine reach the registry at the host's address on its bridge.
  registry = await startWorkflowRegistry(net.name, engine.gateway);
}, 600_000);

afterAll(async () => {
  await registry?.remove();
  await net?.remove();
  await engine?.destroy();
  if (engine) await rigIsGone(engine);
});

afterEach(async (context) => {
  await h?.cleanup(context);
});

describe('workflows that use Docker, on an engine reached over TCP with TLS', () => {
  it('run green in dind mode', async () => {
    h = await createHarness({ host: engine.gateway });
    const tls = engine.tls;
    if (!tls) throw new Error('the TLS engine has no client files');
    await h.start({
      DOCKER_ENGINES: JSON.stringify([
        { name: 'remote', endpoint: engine.endpoint, tls, capacity: 1 },
      ]),
      RUNNER_DOCKER_MODE: 'dind',
      DIND_IMAGE,
      DIND_PRIVILEGED: 'false',
      DIND_REGISTRY_MIRROR: `http://${engine.gateway}:${registry.port}`,
      RUNNER_IMAGE: standin,
      RUNNER_NETWORK: '',
      MAX_RUNNERS: '1',
    });
    const fake = h.fake;
    const jobs = [];
    for (const workflow of [containerJob(registry.hubRef), runnerJob(registry.hubRef)])
      jobs.push(await fake.queueJob({ labels: ['self-hosted'], durationMs: 0, workflow }));
    for (const job of jobs)
      await waitUntil(
        () => fake.job(job.id)?.status === 'completed',
        240_000,
        `job ${job.id}:\n${describeReports(stepReports(fake, job.id))}`,
      );
    for (const job of jobs)
      expect(fake.job(job.id)?.conclusion, describeReports(stepReports(fake, job.id))).toBe(
        'success',
      );
    expectContainerJob(stepReports(fake, jobs[0]?.id ?? 0), jobs[0]?.id ?? 0);
    expectRunnerJob(stepReports(fake, jobs[1]?.id ?? 0), jobs[1]?.id ?? 0);
    // Everything ran on the second engine, and nothing of the controller is left there.
    await waitUntil(
      async () => {
        const [containers, volumes] = await Promise.all([
          engine.docker.listContainers({ all: true }),
          engine.docker.listVolumes(),
        ]);
        return containers.length === 0 && (volumes.Volumes ?? []).length === 0;
      },
      30_000,
      'no container or volume left on the second engine',
    );
  });
});
