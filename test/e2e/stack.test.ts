import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { dockerBridgeGateway } from '../support/docker-bridge.ts';
import { noLeftovers, removeAllOf, testControllerId } from '../support/docker-cleanup.ts';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github/index.ts';
import { proxyRequest } from '../support/proxy-request.ts';
import { waitUntil } from '../support/wait-until.ts';

// The whole product as a user runs it: docker-compose.autoscale.yml with the controller image
// (controller/Dockerfile) and the nginx image (nginx/Dockerfile), both built here on local
// stand-ins for their base images; GitHub is the fake, reached on Docker's bridge gateway, and
// delivers over HTTPS through nginx. Runners get dind sidecars (the docker:dind stand-in) and
// their jobs build and run images. The only change to the compose file: its host ports are
// made ephemeral, so that the test can run beside whatever holds 80, 443 or 8080 here.
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const SECRET = 'stack-webhook-secret';
const suffix = randomBytes(4).toString('hex');
const projectName = `autoscaler-stack-${suffix}`;
const controllerId = testControllerId();

let fake: FakeGitHub;
let project: string;
let controllerUrl: string;
let proxyUrl: string;

async function compose(...args: string[]): Promise<string> {
  const file = path.join(project, 'docker-compose.autoscale.yml');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: project };
  const { stdout } = await run('docker-compose', ['-p', projectName, '-f', file, ...args], {
    cwd: project,
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

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

async function writeProject(): Promise<void> {
  const original = parse(
    await readFile(path.join(ROOT, 'docker-compose.autoscale.yml'), 'utf8'),
  ) as { services: Record<string, { ports?: string[] }> };
  const controller = original.services.controller;
  const nginx = original.services.nginx;
  if (!controller || !nginx) throw new Error('the compose file lost a service');
  controller.ports = ['127.0.0.1::8080'];
  nginx.ports = ['127.0.0.1::80', '127.0.0.1::443'];
  await writeFile(path.join(project, 'docker-compose.autoscale.yml'), stringify(original));
  await symlink(path.join(ROOT, 'nginx'), path.join(project, 'nginx'));
  await mkdir(path.join(project, 'certs'));
  const socketGroup = (await stat('/var/run/docker.sock')).gid;
  // What a user's .env holds (see .env.example), pointed at the fake and the local images.
  const env = {
    GITHUB_URL: `https://github.com/${fake.defaultRepo.owner}/${fake.defaultRepo.name}`,
    GITHUB_API_URL: fake.apiUrl,
    GITHUB_TOKEN: fake.token,
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_DOMAIN: 'localhost',
    DOCKER_GID: String(socketGroup),
    CONTROLLER_IMAGE: 'autoscaler-test/controller:local',
    NGINX_IMAGE: 'autoscaler-test/nginx:local',
    CONTROLLER_ID: controllerId,
    RUNNER_IMAGE: 'autoscaler-test/runner-stub-docker:local',
    RUNNER_DOCKER_MODE: 'dind',
    DIND_IMAGE: 'autoscaler-test/dind:local',
    DIND_PRIVILEGED: 'false',
    MAX_RUNNERS: '2',
    RESYNC_INTERVAL_SECONDS: '10',
  };
  const lines = Object.entries(env).map(([name, value]) => `${name}=${value}`);
  await writeFile(path.join(project, '.env'), `${lines.join('\n')}\n`, { mode: 0o600 });
}

beforeAll(async () => {
  for (const script of ['e2e-build-nginx.sh', 'e2e-build-controller.sh', 'build-dind-images.sh'])
    await run('sh', [path.join(ROOT, 'test/support', script)], { cwd: ROOT });
  fake = await startFakeGitHub({ host: await dockerBridgeGateway() });
  project = await mkdtemp(path.join(tmpdir(), 'autoscaler-stack-'));
  await writeProject();
  await compose('up', '-d');
  controllerUrl = `http://${await publishedPort('controller', 8080)}`;
  proxyUrl = `https://${await publishedPort('nginx', 443)}`;
  await waitUntil(() => answers(`${controllerUrl}/livez`), 60_000, 'the controller', 250);
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
  fake.setWebhookTarget({ url: `${proxyUrl}/webhook`, secret: SECRET, insecureSsl: true });
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

describe('the compose stack', () => {
  it('serves jobs delivered over HTTPS through nginx, with dind runners, and leaves nothing', async () => {
    const jobs = await Promise.all(
      [1, 2, 3].map(() => fake.queueJob({ labels: ['self-hosted', 'linux'], durationMs: 1_000 })),
    );
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

    const health = await getThroughProxy('/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok', maxRunners: 2 });
    expect(health.body).not.toContain(fake.token);
    expect((await getThroughProxy('/metrics')).status).toBe(404);
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
});
