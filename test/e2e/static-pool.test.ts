import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dockerBridgeGateway } from '../support/harness/docker-bridge.ts';
import { docker } from '../support/harness/docker-cleanup.ts';
import { startFakeGitHub, type FakeGitHub } from '../support/fakes/fake-github/index.ts';
import { ensureStandinRunnerImage, STANDIN_IMAGE } from '../support/images/runner-image.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

// The seed's static pool as a user runs it: docker-compose.yml, unchanged, with REPLICAS
// long-lived runners of the runner image (built here with the stand-in tarball), a PAT in the
// secret file, and GitHub played by the fake (GHES mode) on Docker's bridge address.
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const PAT = 'ghp_staticPoolTestToken00000000000000000';
const REPLICAS = 3;
const projectName = `autoscaler-static-${randomBytes(4).toString('hex')}`;

let fake: FakeGitHub;
let project: string;

async function compose(...args: string[]): Promise<string> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: project,
    // What the user's .env holds, pointed at the fake and the locally built image.
    GITHUB_URL: `${fake.url}/octocat/hello-world`,
    RUNNER_IMAGE: STANDIN_IMAGE,
    REPLICAS: String(REPLICAS),
    DOCKER_GID: String((await stat('/var/run/docker.sock')).gid),
  };
  const file = path.join(ROOT, 'docker-compose.yml');
  const { stdout } = await run(
    'docker-compose',
    ['-p', projectName, '-f', file, '--project-directory', project, ...args],
    { cwd: project, env, maxBuffer: 16 * 1024 * 1024 },
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
  await symlink(path.join(ROOT, 'runner-image'), path.join(project, 'runner-image'));
  // As the README says: readable by the runner user (1001) only.
  const patFile = path.join(project, 'runner-pat');
  await writeFile(patFile, PAT, { mode: 0o600 });
  await chown(patFile, 1001, 1001);
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
}, 120_000);

describe('the static pool (docker-compose.yml)', () => {
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
    // Each runner is named after its container, and is not ephemeral.
    const hostnames = await Promise.all(
      containers.map(
        async (info) => (await docker.getContainer(info.Id).inspect()).Config.Hostname,
      ),
    );
    expect(registered.map((runner) => runner.name).sort()).toEqual(
      hostnames.map((hostname) => `static-${hostname}`).sort(),
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
    fake.assertClean();
  });
});
