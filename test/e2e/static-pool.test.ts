import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dockerBridgeGateway } from '../support/harness/docker-bridge.ts';
import { docker } from '../support/harness/docker-cleanup.ts';
import { startFakeGitHub, type FakeGitHub } from '../support/fakes/fake-github/index.ts';
import { ensureStandinRunnerImage, STANDIN_IMAGE } from '../support/images/runner-image.ts';
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

// The seed's static pool as a user runs it: static-pool/docker-compose.yml, unchanged, with
// REPLICAS long-lived runners of the runner image (built here with the stand-in tarball), a PAT
// in the secret file set up as docs/static-pool.md says (no root needed: the socket's group may
// read it), and GitHub played by the fake (GHES mode) on Docker's bridge address.
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const PAT = 'ghp_staticPoolTestToken00000000000000000';
const REPLICAS = 3;
const projectName = `autoscaler-static-${randomBytes(4).toString('hex')}`;

// The stand-in image whose runners, once registered, take jobs from the fake and run their
// workflows (STANDIN_TAKE_JOBS, test/support/images/runner-tarball).
const JOBS_IMAGE = 'autoscaler-test/runner-image:standin-jobs';

let fake: FakeGitHub;
let project: string;
const poolDir = () => path.join(project, 'static-pool');
/** RUNNER_HOST_DIR: the runners' own folders, at the same path on the host and in them. */
let hostDir: string;
let overrides: Record<string, string> = {};

async function compose(...args: string[]): Promise<string> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: project,
    // What the user's .env holds, pointed at the fake and the locally built image.
    GITHUB_URL: `${fake.url}/octocat/hello-world`,
    RUNNER_IMAGE: STANDIN_IMAGE,
    REPLICAS: String(REPLICAS),
    DOCKER_GID: String((await stat('/var/run/docker.sock')).gid),
    RUNNER_HOST_DIR: hostDir,
    // This machine's engine: cgroup v1 with the cgroupfs driver (see docker-compose.yml).
    RUNNER_CGROUP_PARENT: 'actions-runner',
    ...overrides,
  };
  const file = path.join(ROOT, 'static-pool/docker-compose.yml');
  const { stdout } = await run(
    'docker-compose',
    ['-p', projectName, '-f', file, '--project-directory', poolDir(), ...args],
    { cwd: poolDir(), env, maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}

const poolRunners = () => fake.runners().filter((runner) => runner.name.startsWith('static-'));

const projectContainers = () =>
  docker.listContainers({
    all: true,
    filters: { label: [`com.docker.compose.project=${projectName}`] },
  });

beforeAll(async () => {
  await ensureStandinRunnerImage();
  fake = await startFakeGitHub({
    host: await dockerBridgeGateway(),
    pathPrefix: '/api/v3',
    tokens: [PAT],
  });
  project = await mkdtemp(path.join(tmpdir(), 'autoscaler-static-'));
  hostDir = await mkdtemp(path.join(tmpdir(), 'autoscaler-static-runners-'));
  // As Docker makes a missing bind source: root's, open to read.
  await chmod(hostDir, 0o755);
  // A checkout: static-pool/ beside runner-image/ (the build context it names).
  await symlink(path.join(ROOT, 'runner-image'), path.join(project, 'runner-image'));
  await mkdir(poolDir());
  // As docs/static-pool.md says, without root: owner only, then the socket's group may read it
  // (the runners run as uid 1001 with that group). The owner here is root, not the runner user.
  const patFile = path.join(poolDir(), 'runner-pat');
  await writeFile(patFile, PAT, { mode: 0o600 });
  await chown(patFile, 0, (await stat('/var/run/docker.sock')).gid);
  await chmod(patFile, 0o640);
}, 600_000);

afterEach(async (context) => {
  if (context.task.result?.state === 'fail')
    console.log(await compose('logs', '--no-color').catch(String));
});

afterAll(async () => {
  if (project) {
    await compose('down', '-v', '--remove-orphans').catch((error: unknown) => console.log(error));
  }
  const left = await projectContainers().catch(() => []);
  await Promise.all(
    left.map((info) =>
      docker
        .getContainer(info.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
  await fake?.close();
  if (project) await rm(project, { recursive: true, force: true });
  if (hostDir) await rm(hostDir, { recursive: true, force: true });
}, 120_000);

describe('the static pool (static-pool/docker-compose.yml)', () => {
  it('gives the runners the PAT as a secret file only, and no ephemeral runners', async () => {
    const config = parse(await compose('config')) as {
      services: Record<string, { environment?: Record<string, string>; secrets?: unknown[] }>;
    };
    const runner = config.services.runner;
    expect(runner?.environment).toMatchObject({
      GITHUB_TOKEN_FILE: '/run/secrets/github_token',
      RUNNER_EPHEMERAL: 'false',
    });
    for (const name of ['GITHUB_TOKEN', 'ACCESS_TOKEN', 'RUNNER_TOKEN'])
      expect(runner?.environment).not.toHaveProperty(name);
    expect(JSON.stringify(config)).not.toContain(PAT);
  });

  it('starts REPLICAS long-lived runners that register, and deregister on down', async () => {
    await compose('up', '-d');
    const registered = await waitUntil(
      () => (poolRunners().length === REPLICAS ? poolRunners() : undefined),
      60_000,
      `${REPLICAS} registered runners`,
      100,
    );
    const containers = await projectContainers();
    expect(containers).toHaveLength(REPLICAS);
    // Each runner is named after its container (on the host's network its hostname is the
    // host's), and is not ephemeral.
    expect(registered.map((runner) => runner.name).sort()).toEqual(
      containers.map((info) => `static-${info.Id.slice(0, 12)}`).sort(),
    );
    // Each runs from its own folder in RUNNER_HOST_DIR, named after its container.
    expect((await readdir(hostDir)).sort()).toEqual(
      containers.map((info) => info.Id.slice(0, 12)).sort(),
    );
    for (const runner of registered) {
      expect(runner).toMatchObject({ status: 'online', ephemeral: false, runnerGroupId: 1 });
      expect(runner.labels).toEqual(expect.arrayContaining(['self-hosted', 'Linux']));
    }
    const logs = await compose('logs', '--no-color');
    expect(logs).toContain('runner-entrypoint: registering runner static-');
    expect(logs).not.toContain(PAT);

    await compose('down');
    expect(poolRunners()).toEqual([]);
    expect(fake.runnerTokens().filter((token) => token.kind === 'remove')).toHaveLength(REPLICAS);
    expect(await projectContainers()).toEqual([]);
    // Each runner removed its folder when it stopped.
    expect(await readdir(hostDir)).toEqual([]);
    fake.assertClean();
  });

  it('runs a container job, a Docker action, services and docker run -v on the host engine', async () => {
    const net: TestNetwork = await createTestNetwork();
    let registry: WorkflowRegistry | undefined;
    try {
      registry = await startWorkflowRegistry(net.name);
      const context = await mkdtemp(path.join(tmpdir(), 'autoscaler-jobs-image-'));
      await writeFile(
        path.join(context, 'Dockerfile'),
        `FROM ${STANDIN_IMAGE}\nENV STANDIN_TAKE_JOBS=1\n`,
      );
      await run('docker', [
        'build',
        '-q',
        '--label',
        'io.runner-autoscaler.test=true',
        '-t',
        JOBS_IMAGE,
        context,
      ]);
      await rm(context, { recursive: true, force: true });
      overrides = { RUNNER_IMAGE: JOBS_IMAGE, REPLICAS: '1' };
      await compose('up', '-d');
      await waitUntil(() => poolRunners().length === 1, 60_000, 'a registered runner', 100);
      const ref = registry.hostRef;
      const jobs = [];
      for (const workflow of [containerJob(ref), runnerJob(ref)])
        jobs.push(await fake.queueJob({ labels: ['self-hosted'], durationMs: 0, workflow }));
      for (const job of jobs)
        await waitUntil(
          () => fake.job(job.id)?.status === 'completed',
          120_000,
          `job ${job.id}:\n${describeReports(stepReports(fake, job.id))}`,
        );
      const [first, second] = jobs.map((job) => stepReports(fake, job.id));
      for (const job of jobs)
        expect(fake.job(job.id)?.conclusion, describeReports(stepReports(fake, job.id))).toBe(
          'success',
        );
      expectContainerJob(first ?? [], jobs[0]?.id ?? 0);
      // A long-lived runner: its work folder holds what the first job left.
      expectRunnerJob(second ?? [], jobs[1]?.id ?? 0, false);
      await compose('down');
      expect(await readdir(hostDir)).toEqual([]);
    } finally {
      overrides = {};
      await compose('down').catch(() => undefined);
      await registry?.remove();
      await net.remove();
      await docker
        .getImage(JOBS_IMAGE)
        .remove()
        .catch(() => undefined);
    }
  });
});
