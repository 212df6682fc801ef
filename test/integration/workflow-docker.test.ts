import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIND_IMAGE } from '../support/images/dind-helpers.ts';
import { docker, noLeftovers } from '../support/harness/docker-cleanup.ts';
import { binfmtStatus } from '../support/rigs/platforms.ts';
import { createHarness, type Harness } from '../support/harness/harness.ts';
import { ensureStandinRunnerImage } from '../support/images/runner-image.ts';
import {
  containerJob,
  describeReports,
  expectContainerJob,
  expectRunnerJob,
  runnerJob,
  stepReports,
  type StepReport,
} from '../support/images/standin-workflows.ts';
import { createTestNetwork, type TestNetwork } from '../support/harness/test-network.ts';
import { waitUntil } from '../support/harness/wait-until.ts';
import { startWorkflowRegistry, type WorkflowRegistry } from '../support/images/workflow-images.ts';

// Real workflows drive the job's Docker engine through the runner, with bind mounts of the
// runner's own folders (container jobs, Docker actions, services, `docker run -v`). The runner
// here is the product's runner image with the stand-in tarball, whose worker does with Docker
// what actions/runner does (test/support/images/runner-tarball/bin/standin-worker.sh), as uid 1001.
const ROOT = new URL('../..', import.meta.url).pathname;
let standin: string;
let net: TestNetwork;
let registry: WorkflowRegistry;
let h: Harness;

beforeAll(async () => {
  await promisify(execFile)('sh', ['test/support/images/build-dind-images.sh'], { cwd: ROOT });
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
    // A step's `docker run -p` publishes on the loopback the runner shares: not on the network.
    const published = steps?.reports[5]?.outputs;
    expect(published?.['run-p']).toBe('service says hello');
    expect(published?.['run-p-from-network']).toBe('refused');
    // Services are on the network the runner makes, where dockerd's --ip does not hold
    // (docs/docker.md says so, and what to do).
    expect(published?.['service-from-network']).toBe('service says hello');
    await noLeftovers(h.controllerId);
  });

  it('run green in host mode: the runner runs from a folder whose path is the same on the host', async () => {
    await h.start({
      RUNNER_DOCKER_MODE: 'host',
      RUNNER_IMAGE: standin,
      RUNNER_NETWORK: '',
      MAX_RUNNERS: '1',
    });
    const [container, steps] = await runJobs([
      containerJob(registry.hostRef),
      runnerJob(registry.hostRef),
    ]);
    expectContainerJob(container?.reports ?? [], container?.id ?? 0);
    expectRunnerJob(steps?.reports ?? [], steps?.id ?? 0);
    await noLeftovers(h.controllerId);
    // Each runner removed its jobs' containers and networks from the host's engine: none is
    // left with its label (actions/runner's DockerInstanceLabel; the stand-in's is the first
    // 6 hex digits of the SHA-256 of its runner URL).
    for (const job of [container, steps]) {
      const name = h.fake.job(job?.id ?? 0)?.runnerName ?? '';
      const label = createHash('sha256')
        .update(`${h.fake.url}/_stub/runners/${name}`)
        .digest('hex')
        .slice(0, 6);
      const filters = { label: [label] };
      expect(await docker.listContainers({ all: true, filters })).toEqual([]);
      expect(await docker.listNetworks({ filters })).toEqual([]);
    }
  });
});

/** Runs `use` with the stand-in runner image built on with `lines`; removes that image after. */
async function withRunnerImage(
  tag: string,
  lines: string[],
  use: (image: string) => Promise<void>,
): Promise<void> {
  const image = `autoscaler-test/runner-image:${tag}`;
  const context = await mkdtemp(path.join(tmpdir(), `${tag}-`));
  try {
    await writeFile(path.join(context, 'Dockerfile'), [`FROM ${standin}`, ...lines, ''].join('\n'));
    const label = ['--label', 'io.runner-autoscaler.test=true'];
    await promisify(execFile)('docker', ['build', '-q', ...label, '-t', image, context]);
    await use(image);
  } finally {
    await rm(context, { recursive: true, force: true });
    await docker
      .getImage(image)
      .remove()
      .catch(() => undefined);
  }
}

const DIND_ENV = () => ({
  RUNNER_DOCKER_MODE: 'dind',
  DIND_IMAGE,
  DIND_PRIVILEGED: 'false',
  DIND_REGISTRY_MIRROR: `http://${registry.name}:5000`,
  RUNNER_IMAGE: standin,
  RUNNER_NETWORK: net.name,
  MAX_RUNNERS: '1',
});

describe('the runner folders of a dind runner', () => {
  it("hold the runner image's own externals, whatever its version", async () => {
    // A runner image whose externals differ: a job container runs the node of this image.
    await withRunnerImage(
      'standin-externals',
      ['RUN echo 24.1.0-other > /home/runner/externals/node20/VERSION'],
      async (image) => {
        await h.start({ ...DIND_ENV(), RUNNER_IMAGE: image });
        const [job] = await runJobs([containerJob(registry.hubRef)]);
        const checkout = job?.reports.find((r) => r.name === 'actions/checkout@v4');
        expect(checkout?.output).toContain('node (stand-in) 24.1.0-other from /__e/node20');
        await noLeftovers(h.controllerId);
      },
    );
  });

  it('go with their runner when the controller restarts during the job (adoption)', async () => {
    await h.start(DIND_ENV());
    const workflow = {
      container: { image: registry.hubRef('wf-job') },
      steps: [
        { uses: 'actions/checkout@v4' },
        { id: 'long', run: 'sleep 6; echo "readme=$(cat README.md)" >>"$GITHUB_OUTPUT"' },
      ],
    };
    const job = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 0, workflow });
    await waitUntil(() => h.fake.job(job.id)?.status === 'in_progress', 60_000, 'job running');
    await h.controller?.stop('SIGKILL');
    await h.start(DIND_ENV());
    await waitUntil(() => h.fake.job(job.id)?.status === 'completed', 120_000, 'job completed');
    const reports = stepReports(h.fake, job.id);
    expect(h.fake.job(job.id)?.conclusion, describeReports(reports)).toBe('success');
    expect(reports.at(-1)?.outputs.readme).toBe(
      `checkout of octocat/hello-world for job ${job.id}`,
    );
    // The restarted controller removed the runner, its sidecar and all four volumes.
    await noLeftovers(h.controllerId);
  });
});

describe('a runner image of an earlier version', () => {
  it('without the runner-folders label still serves Docker jobs, and /health says what it lacks', async () => {
    // As images built before the runner's folders were shared: no _work folder, no label.
    await withRunnerImage(
      'standin-earlier',
      ['RUN rm -rf /home/runner/_work', 'LABEL io.runner-autoscaler.runner-folders=""'],
      async (image) => {
        await h.start({ ...DIND_ENV(), RUNNER_IMAGE: image });
        const workflow = {
          steps: [
            {
              id: 'docker',
              run: `echo "ran=$(docker run --rm ${registry.hubRef('wf-job')} echo ok)" >>"$GITHUB_OUTPUT"`,
            },
          ],
        };
        const [job] = await runJobs([workflow]);
        expect(job?.reports[1]?.outputs.ran).toBe('ok');
        const health = (await (await fetch(`${h.url}/health`)).json()) as { warnings: string[] };
        expect(health.warnings).toContainEqual(
          expect.stringContaining('runner image of an earlier version'),
        );
        await noLeftovers(h.controllerId);
      },
    );
  });
});

describe('images that build images, in the hardened sidecar (DIND_PRIVILEGED=false)', () => {
  it('run other platforms through the host emulation, and refuse privileged containers at once', async () => {
    await h.start(DIND_ENV());
    const workflow = {
      steps: [
        {
          id: 'emulated',
          run: [
            'out=$(docker run --rm --platform linux/arm64 ' +
              registry.hubRef('wf-arm64') +
              ' uname -m 2>&1) || true',
            'echo "arch=$(echo "$out" | tail -n 1)" >>"$GITHUB_OUTPUT"',
          ].join('\n'),
        },
        {
          // What docker/setup-qemu-action (tonistiigi/binfmt) and setup-buildx-action's
          // docker-container driver (moby/buildkit) ask for.
          id: 'privileged',
          run: [
            'start=$(date +%s)',
            `if docker run --rm --privileged ${registry.hubRef('wf-job')} true 2>err.txt; then result=ran; else result=refused; fi`,
            'echo "result=$result" >>"$GITHUB_OUTPUT"',
            'echo "seconds=$(( $(date +%s) - start ))" >>"$GITHUB_OUTPUT"',
            'echo "error=$(tr "\\n" " " <err.txt)" >>"$GITHUB_OUTPUT"',
          ].join('\n'),
        },
      ],
    };
    const [job] = await runJobs([workflow]);
    const outputs = Object.fromEntries(job?.reports.map((r) => [r.name, r.outputs]) ?? []);
    const emulated = job?.reports[1]?.outputs;
    const privileged = job?.reports[2]?.outputs;
    // The kernel's binfmt_misc is the host's: with qemu-user-static registered there (F flag),
    // arm64 containers run in the sidecar's engine too; without it they fail, and say why.
    if (binfmtStatus('aarch64') === 'enabled') expect(emulated?.arch).toBe('aarch64');
    else expect(emulated?.arch).toMatch(/exec format error/);
    expect(privileged?.result, JSON.stringify(outputs)).toBe('refused');
    expect(Number(privileged?.seconds)).toBeLessThan(10);
    expect(privileged?.error).toMatch(/operation not permitted/);
  });
});
