import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dockerBridgeGateway } from '../support/harness/docker-bridge.ts';
import {
  noLeftovers,
  removeAllOf,
  runnerContainers,
  testControllerId,
} from '../support/harness/docker-cleanup.ts';
import { startFakeGitHub, type FakeGitHub } from '../support/fakes/fake-github/index.ts';
import { proxyRequest } from '../support/harness/proxy-request.ts';
import {
  STACK_PREFIX,
  STACK_REVISION,
  STACK_RUNNER_VERSION,
  STACK_VERSION,
  buildStandins,
  danglingTestImages,
  dropReplaced,
  imageIds,
  stackImages,
  writeStackProject,
} from '../support/harness/stack-project.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

/** expect's string matcher, typed for use inside object literals. */
const text = (pattern: string | RegExp): unknown =>
  typeof pattern === 'string' ? expect.stringContaining(pattern) : expect.stringMatching(pattern);

// The whole product as a user runs it: docker-compose.autoscale.yml, its images built with the
// build file (docker-compose.build.yml; base images and the runner's downloads stood in for by
// test/support/images/compose-stack-standins.yml) under a pinned version tag, brought up with that tag
// and .env made from .env.example. GitHub is the fake, reached on Docker's bridge address, and
// delivers over HTTPS through nginx with the secret the controller generated, read with the
// documented command. Runners get dind sidecars (the docker:dind stand-in) and their jobs build
// and run images.
const run = promisify(execFile);
const suffix = randomBytes(4).toString('hex');
const projectName = `autoscaler-stack-${suffix}`;
const controllerId = testControllerId();
const REPO_ID = 'octocat-hello-world';
const TEST_LABEL = 'io.runner-autoscaler.test=true';

let fake: FakeGitHub;
let project: string;
let controllerUrl: string;
let proxyUrl: string;
let secret = '';

const MAIN = ['-f', 'docker-compose.autoscale.yml'];
const BUILD = [...MAIN, '-f', 'docker-compose.build.yml', '-f', 'standins.yml'];

async function composeWith(
  files: string[],
  args: string[],
  env: Record<string, string> = {},
): Promise<string> {
  const { stdout } = await run('docker-compose', ['-p', projectName, ...files, ...args], {
    cwd: project,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: project, ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}
const compose = (...args: string[]) => composeWith(MAIN, args);

async function publishedPort(service: string, port: number): Promise<string> {
  const address = (await compose('port', service, String(port))).trim();
  if (!address) throw new Error(`${service}:${port} is not published`);
  return address;
}

/** GET over HTTPS to nginx, which has a self-signed certificate for WEBHOOK_DOMAIN. */
const getThroughProxy = (pathname: string) => proxyRequest(`${proxyUrl}${pathname}`);

async function answers(url: string): Promise<boolean> {
  return fetch(url).then(
    (response) => response.ok,
    () => false,
  );
}

async function waitForProxy(): Promise<void> {
  proxyUrl = `https://${await publishedPort('nginx', 443)}`;
  await waitUntil(
    () =>
      getThroughProxy('/health').then(
        (answer) => answer.status === 200,
        () => false,
      ),
    60_000,
    'the proxy',
    250,
  );
}

beforeAll(async () => {
  await buildStandins();
  fake = await startFakeGitHub({ host: await dockerBridgeGateway() });
  project = await mkdtemp(path.join(tmpdir(), 'autoscaler-stack-'));
  // What a user's .env holds (see .env.example), pointed at the fake; no WEBHOOK_SECRET, so the
  // controller generates one.
  await writeStackProject(project, {
    GITHUB_URL: `https://github.com/${fake.defaultRepo.owner}/${fake.defaultRepo.name}`,
    GITHUB_API_URL: fake.apiUrl,
    GITHUB_TOKEN: fake.token,
    // Webhook mode, as the README says: nginx comes with the webhook profile.
    COMPOSE_PROFILES: 'webhook',
    WEBHOOK_DOMAIN: 'localhost',
    DOCKER_GID: String((await stat('/var/run/docker.sock')).gid),
    CONTROLLER_ID: controllerId,
    RUNNER_DOCKER_MODE: 'dind',
    // The pinned images were built here and no registry is reachable: none is pulled again.
    RUNNER_PULL_POLICY: 'missing',
    DIND_IMAGE: 'autoscaler-test/dind:local',
    DIND_PRIVILEGED: 'false',
    MAX_RUNNERS: '2',
    RESYNC_INTERVAL_SECONDS: '10',
  });
  const before = await imageIds(stackImages());
  const danglingBefore = await danglingTestImages();
  // As the README builds: VERSION and REVISION from the shell.
  await composeWith(BUILD, ['build'], { VERSION: STACK_VERSION, REVISION: STACK_REVISION });
  await dropReplaced(before, await imageIds(stackImages()), danglingBefore);
  await mkdir(path.join(project, 'acme/.well-known/acme-challenge'), { recursive: true });
  await writeFile(path.join(project, 'acme/.well-known/acme-challenge/e2e-token'), 'e2e-token.key');
  await compose('up', '-d');
  controllerUrl = `http://${await publishedPort('controller', 8080)}`;
  await waitUntil(() => answers(`${controllerUrl}/livez`), 60_000, 'the controller', 250);
  await waitForProxy();
}, 600_000);

afterEach(async (context) => {
  if (context.task.result?.state === 'fail')
    console.log(await compose('logs', '--no-color').catch(String));
});

afterAll(async () => {
  if (project) {
    await compose('down', '-v', '--remove-orphans').catch((error: unknown) => console.log(error));
  }
  await removeAllOf(controllerId);
  await fake?.close();
  if (project) await rm(project, { recursive: true, force: true });
}, 120_000);

const jobIdOf = (payload: unknown) =>
  (payload as { workflow_job?: { id?: number } }).workflow_job?.id;

const completed = (ids: number[]) => () => ids.every((id) => fake.job(id)?.status === 'completed');

const labelsOf = async (image: string) =>
  JSON.parse(
    (await run('docker', ['image', 'inspect', '--format', '{{json .Config.Labels}}', image]))
      .stdout,
  ) as Record<string, string>;

/** A self-signed certificate for `cn` in certs/, made with the openssl of the stack's nginx image. */
async function writeCertificate(cn: string, dir: string): Promise<void> {
  await run('docker', [
    'run',
    '--rm',
    '--label',
    TEST_LABEL,
    '-v',
    `${dir}:/out`,
    '--entrypoint',
    'openssl',
    `${STACK_PREFIX}-nginx:${STACK_VERSION}`,
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${cn}`,
    '-keyout',
    '/out/privkey.pem',
    '-out',
    '/out/fullchain.pem',
  ]);
}

describe('the compose stack', () => {
  it('runs the images built as the pinned version, labelled with it, and reports it in /health', async () => {
    const [controllerImage, nginxImage, runnerImage] = stackImages();
    for (const service of ['controller', 'nginx']) {
      const id = (await compose('ps', '-q', service)).trim();
      const { stdout } = await run('docker', ['inspect', '--format', '{{.Config.Image}}', id]);
      expect(stdout.trim()).toBe(`${STACK_PREFIX}-${service}:${STACK_VERSION}`);
    }
    for (const image of [controllerImage, nginxImage]) {
      expect(await labelsOf(image ?? '')).toMatchObject({
        'org.opencontainers.image.version': STACK_VERSION,
        'org.opencontainers.image.revision': STACK_REVISION,
        'org.opencontainers.image.source': 'https://github.com/runner-autoscaler/runner-autoscaler',
      });
    }
    // The runner image's own version is its actions/runner release; the project's is beside it.
    expect(await labelsOf(runnerImage ?? '')).toMatchObject({
      'org.opencontainers.image.version': STACK_RUNNER_VERSION,
      'io.runner-autoscaler.version': STACK_VERSION,
      'org.opencontainers.image.revision': STACK_REVISION,
    });
    const health = (await (await fetch(`${controllerUrl}/health`)).json()) as {
      build?: { version?: string; revision?: string };
    };
    expect(health.build).toEqual({ version: STACK_VERSION, revision: STACK_REVISION });
  });

  it('refuses to bring up a pinned tag it cannot pull, and builds nothing for it', async () => {
    const other = `${projectName}-missing`;
    const missing = { IMAGE_TAG: '0.0.0-missing' };
    const up = run('docker-compose', ['-p', other, ...MAIN, 'up', '--no-start'], {
      cwd: project,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: project, ...missing },
    });
    await expect(up).rejects.toMatchObject({
      stderr: text(`Pulling controller (${STACK_PREFIX}-controller:0.0.0-missing)`),
    });
    await run('docker-compose', ['-p', other, ...MAIN, 'down', '-v'], {
      cwd: project,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: project, ...missing },
    }).catch(() => undefined);
    expect(await imageIds(stackImages('0.0.0-missing'))).toEqual([]);
  });

  it('prints the generated webhook secret with the documented command, and never logs it', async () => {
    const show = (...args: string[]) =>
      compose(
        'exec',
        '-T',
        'controller',
        '/nodejs/bin/node',
        'controller/dist/show-secret.js',
        ...args,
      );
    secret = (await show(REPO_ID)).trim();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(await show()).toBe(`${REPO_ID} ${secret}\n`);
    expect(await compose('logs', '--no-color')).not.toContain(secret);
    // The secret a user pastes into GitHub's webhook settings.
    fake.setWebhookTarget({ url: `${proxyUrl}/webhook`, secret, insecureSsl: true });
  });

  it('serves jobs delivered over HTTPS through nginx, with dind runners, and leaves nothing', async () => {
    const jobs = await Promise.all(
      [1, 2, 3].map(() => fake.queueJob({ labels: ['self-hosted', 'linux'], durationMs: 1_000 })),
    );
    // The controller starts the runner image of the pinned version (RUNNER_IMAGE from .env).
    await waitUntil(
      async () => (await runnerContainers(controllerId)).length > 0,
      60_000,
      'a runner container',
    );
    const [runner] = await runnerContainers(controllerId);
    expect(runner?.Image).toBe(`${STACK_PREFIX}-runner:${STACK_VERSION}`);
    await waitUntil(completed(jobs.map((job) => job.id)), 120_000, 'three jobs completed');
    expect(jobs.map((job) => fake.job(job.id)?.conclusion)).toEqual([
      'success',
      'success',
      'success',
    ]);
    // The last `completed` webhook may still be on its way when the job shows completed.
    await fake.settled();
    const deliveries = fake.deliveries().filter((delivery) => delivery.event === 'workflow_job');
    expect(deliveries.length).toBeGreaterThanOrEqual(9);
    expect(deliveries.every((delivery) => delivery.statusCode === 202)).toBe(true);
    await noLeftovers(controllerId);

    // The full /health on the local port; the public one says only that the controller lives.
    const health = await fetch(`${controllerUrl}/health`);
    expect(health.status).toBe(200);
    const full = await health.text();
    expect(JSON.parse(full)).toMatchObject({ status: 'ok', maxRunners: 2 });
    expect(full).not.toContain(fake.token);
    const publicHealth = await getThroughProxy('/health');
    expect(publicHealth.status).toBe(200);
    expect(JSON.parse(publicHealth.body)).toEqual({ status: 'alive' });
    expect((await getThroughProxy('/metrics')).status).toBe(404);
    expect((await getThroughProxy('/')).status).toBe(404);
    const metrics = await (await fetch(`${controllerUrl}/metrics`)).text();
    expect(metrics).toMatch(/autoscaler_job_events_total\{[^}]*action="completed"[^}]*\} 3/);
    fake.assertClean();
  });

  it('loses no job across a restart of the controller container, nor one queued while it was down', async () => {
    const running = await fake.queueJob({ labels: ['self-hosted'], durationMs: 6_000 });
    await waitUntil(
      () => fake.job(running.id)?.status === 'in_progress',
      60_000,
      'the first job running',
    );
    await compose('stop', 'controller');
    // Delivered while the controller is down: nginx answers 502 or 504; GitHub does not retry.
    const missed = await fake.queueJob({ labels: ['self-hosted'], durationMs: 500 });
    const missedDelivery = fake
      .deliveries()
      .find((delivery) => jobIdOf(delivery.payload) === missed.id);
    expect(missedDelivery?.statusCode).toBeGreaterThanOrEqual(500);
    await compose('start', 'controller');

    await waitUntil(completed([running.id, missed.id]), 120_000, 'both jobs completed');
    expect(fake.job(running.id)?.conclusion).toBe('success');
    expect(fake.job(missed.id)?.conclusion).toBe('success');
    await noLeftovers(controllerId);
    fake.assertClean();
  });

  it("reads repos.json in the mode the compose file advises, as the image's user (uid 65532)", async () => {
    const file = path.join(project, 'repos.json');
    await writeFile(file, '{"repositories":[]}');
    const read = () =>
      run('docker', [
        'run',
        '--rm',
        '--label',
        TEST_LABEL,
        '-v',
        `${file}:/config/repos.json:ro`,
        `${STACK_PREFIX}-controller:${STACK_VERSION}`,
        '-e',
        "process.stdout.write(require('node:fs').readFileSync('/config/repos.json', 'utf8'))",
      ]);
    // chmod 600 alone: the owner (root here) only, not the controller's user.
    await chmod(file, 0o600);
    await expect(read()).rejects.toMatchObject({ stderr: text('EACCES') });
    // As advised: sudo chown 65532 repos.json && sudo chmod 600 repos.json
    await chown(file, 65532, 0);
    await chmod(file, 0o600);
    expect((await read()).stdout).toBe('{"repositories":[]}');
  });

  it("serves certbot's challenge files from the mounted webroot over plain HTTP", async () => {
    const http = `http://${await publishedPort('nginx', 80)}`;
    const answer = await proxyRequest(`${http}/.well-known/acme-challenge/e2e-token`, {
      serverName: 'localhost',
    });
    expect(answer).toMatchObject({ status: 200, body: 'e2e-token.key' });
  });

  it('serves a certificate copied into certs/ after a restart, and a renewed one after a reload', async () => {
    const certs = path.join(project, 'certs');
    expect((await getThroughProxy('/health')).peerCN).toBe('localhost');
    // First issuance: nginx started on its self-signed certificate; a restart picks certs/ up.
    await writeCertificate('issued.localhost', certs);
    await compose('restart', 'nginx');
    await waitForProxy();
    expect((await getThroughProxy('/health')).peerCN).toBe('issued.localhost');
    // Renewal, as the deploy hook does it: copy the files over, then reload.
    const renewed = await mkdtemp(path.join(tmpdir(), 'autoscaler-renewed-'));
    try {
      await writeCertificate('renewed.localhost', renewed);
      await run('cp', [
        path.join(renewed, 'fullchain.pem'),
        path.join(renewed, 'privkey.pem'),
        `${certs}/`,
      ]);
    } finally {
      await rm(renewed, { recursive: true, force: true });
    }
    await compose('exec', '-T', 'nginx', 'nginx', '-s', 'reload');
    await waitUntil(
      async () => (await getThroughProxy('/health')).peerCN === 'renewed.localhost',
      15_000,
      'the renewed certificate served',
      200,
    );
  });
});
