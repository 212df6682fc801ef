import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { dockerBridgeGateway } from '../support/harness/docker-bridge.ts';
import { noLeftovers, removeAllOf, testControllerId } from '../support/harness/docker-cleanup.ts';
import { startFakeActions, type FakeActions } from '../support/fakes/fake-actions/index.ts';
import { startFakeGitHub, type FakeGitHub } from '../support/fakes/fake-github/index.ts';
import { freePort } from '../support/harness/free-port.ts';
import { proxyRequest } from '../support/harness/proxy-request.ts';
import {
  STACK_PREFIX,
  STACK_REVISION,
  STACK_VERSION,
  buildStandins,
  danglingTestImages,
  dropReplaced,
  imageIds,
  stackImages,
  writeStackProject,
} from '../support/harness/stack-project.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

// README's two quick starts, their commands as written: in a checkout of this tree, with the
// images built from it (no registry is reachable here), GitHub and its Actions service faked on
// Docker's bridge address. What differs from a user's run is only what this machine needs,
// appended to .env after the README's lines: where the fakes are, the images' names, the dind
// stand-in, a project name and controller id of the test's own (and, for webhook mode, the
// address GitHub reaches nginx at here). Debian's docker-compose stands for `docker compose`, as
// README says it may. Each job then runs on a runner the controller started, with its own dind.
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const suffix = randomBytes(4).toString('hex');
const SCALE_SET = 'autoscaler';

let fake: FakeGitHub;
let actions: FakeActions;
const projects: { dir: string; name: string; controllerId: string }[] = [];

async function quickStart(heading: string): Promise<string> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(`## ${heading}\n`)[1] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error(`README has no block under "${heading}"`);
  return block;
}

const envOf = (dir: string) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir });

async function compose(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('docker-compose', args, {
    cwd: dir,
    env: envOf(dir),
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/**
 * A checkout of the test's own: the compose files (ephemeral host ports, or `nginxPort` for
 * 443), the build inputs and .env.example; `machine` is what this machine adds to .env.
 */
async function checkout(label: string, machine: string[], nginxPort?: number) {
  const dir = await mkdtemp(path.join(tmpdir(), `autoscaler-${label}-`));
  const name = `autoscaler-${label}-${suffix}`;
  const controllerId = testControllerId();
  projects.push({ dir, name, controllerId });
  await writeStackProject(dir, {});
  await cp(path.join(ROOT, '.env.example'), path.join(dir, '.env.example'));
  if (nginxPort !== undefined) {
    const file = path.join(dir, 'docker-compose.autoscale.yml');
    const stack = parse(await readFile(file, 'utf8')) as {
      services: { nginx: { ports?: string[] } };
    };
    stack.services.nginx.ports = [`127.0.0.1:${nginxPort}:443`, '127.0.0.1::80'];
    await writeFile(file, stringify(stack));
  }
  const [, , runnerImage] = stackImages();
  const lines = [
    `GITHUB_API_URL=${fake.apiUrl}`,
    `COMPOSE_PROJECT_NAME=${name}`,
    `CONTROLLER_ID=${controllerId}`,
    `IMAGE_PREFIX=${STACK_PREFIX}`,
    `IMAGE_TAG=${STACK_VERSION}`,
    `RUNNER_IMAGE=${runnerImage ?? ''}`,
    'DIND_IMAGE=autoscaler-test/dind:local',
    'DIND_PRIVILEGED=false',
    ...machine,
  ];
  await writeFile(path.join(dir, 'this-machine.env'), `${lines.join('\n')}\n`);
  return { dir, name, controllerId };
}

/** Runs a README block in a checkout, as bash: the placeholders are the fake's. Its stdout. */
async function runQuickStart(dir: string, heading: string): Promise<string> {
  const script = (await quickStart(heading))
    .replace(/^git clone .*$/m, '# (the checkout is there)')
    .replace(
      'https://github.com/OWNER/REPO',
      `https://github.com/${fake.defaultRepo.owner}/${fake.defaultRepo.name}`,
    )
    .replace('github_pat_...', fake.token)
    .replace(/^EOF$/m, 'EOF\ncat this-machine.env >> .env')
    .replaceAll('docker compose ', 'docker-compose ');
  const result = await run('bash', ['-e', '-o', 'pipefail', '-c', script], {
    cwd: dir,
    env: envOf(dir),
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: unknown) => {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(`the quick start failed:\n${String(failed.stdout)}\n${String(failed.stderr)}`, {
      cause: error,
    });
  });
  console.log(`${heading}, output:\n${result.stdout}`);
  return result.stdout;
}

async function runningServices(dir: string): Promise<string[]> {
  return (await compose(dir, 'ps', '--services', '--filter', 'status=running'))
    .split('\n')
    .filter(Boolean)
    .sort();
}

beforeAll(async () => {
  await buildStandins();
  const gateway = await dockerBridgeGateway();
  fake = await startFakeGitHub({ host: gateway });
  actions = await startFakeActions({
    host: gateway,
    acceptRegistrationToken: () => true,
    longPollMs: 1_000,
  });
  fake.useActionsService(actions.apiUrl);
  // The images, built from this tree as docs/upgrades.md says (base images stood in for).
  const { dir } = await checkout('quick-build', []);
  const build = [
    ...['-f', 'docker-compose.autoscale.yml', '-f', 'docker-compose.build.yml'],
    ...['-f', 'standins.yml'],
  ];
  const before = await imageIds(stackImages());
  const danglingBefore = await danglingTestImages();
  await run('docker-compose', ['-p', `autoscaler-quick-build-${suffix}`, ...build, 'build'], {
    cwd: dir,
    // nginx is in the webhook profile: built only with it.
    env: {
      ...envOf(dir),
      VERSION: STACK_VERSION,
      REVISION: STACK_REVISION,
      COMPOSE_PROFILES: 'webhook',
    },
    maxBuffer: 16 * 1024 * 1024,
  });
  await dropReplaced(before, await imageIds(stackImages()), danglingBefore);
}, 900_000);

afterAll(async () => {
  for (const project of projects) {
    await compose(project.dir, 'down', '-v', '--remove-orphans').catch(() => undefined);
    await removeAllOf(project.controllerId);
    await rm(project.dir, { recursive: true, force: true });
  }
  await actions?.close();
  await fake?.close();
}, 180_000);

describe("README's quick start (scale-set mode)", () => {
  let project: { dir: string; controllerId: string };

  it('runs as written: the preflight check passes, and up starts the controller alone', async () => {
    project = await checkout('quick-scaleset', []);
    const output = await runQuickStart(project.dir, 'Quick start (scale-set mode)');
    expect(output).toContain('All checks passed.');
    expect(output).not.toMatch(/^FAIL/m);
    expect(output).not.toContain(fake.token);
    expect(await runningServices(project.dir)).toEqual(['controller']);
    const id = (await compose(project.dir, 'ps', '-q', 'controller')).trim();
    const { stdout } = await run('docker', ['inspect', '--format', '{{.Config.Image}}', id]);
    expect(stdout.trim()).toBe(stackImages()[0]);
  });

  it('serves a job of runs-on: autoscaler on a fresh runner', async () => {
    await waitUntil(() => actions.sessions().some((s) => s.active), 60_000, 'a scale-set session');
    const job = actions.queueJob({ scaleSet: SCALE_SET, durationMs: 1_000 });
    await waitUntil(
      () => actions.job(job.runnerRequestId)?.state === 'completed',
      120_000,
      'the job completed',
    );
    expect(actions.job(job.runnerRequestId)?.runner?.name).toMatch(/^runner-/);
    await noLeftovers(project.controllerId);
    await compose(project.dir, 'down', '-v');
  });
});

describe("README's quick start (webhook mode)", () => {
  let project: { dir: string; controllerId: string };
  let host = '';

  it('runs as written: the check passes, up starts the controller and nginx', async () => {
    // GitHub reaches nginx here at a loopback port; nginx's certificate is self-signed.
    const port = await freePort();
    host = `https://127.0.0.1:${port}`;
    project = await checkout(
      'quick-webhook',
      [`WEBHOOK_HOST=${host}`, 'WEBHOOK_INSECURE_SSL=true'],
      port,
    );
    const output = await runQuickStart(project.dir, 'Quick start (webhook mode)');
    expect(output).toContain(`the controller creates one at ${host}/webhook when it starts`);
    expect(output).toContain('All checks passed.');
    expect(await runningServices(project.dir)).toEqual(['controller', 'nginx']);
  });

  it('registers the webhook itself and serves a job of runs-on: [self-hosted, linux]', async () => {
    await waitUntil(
      () => fake.hooks().some((hook) => hook.config.url === `${host}/webhook`),
      60_000,
      'the webhook created',
    );
    // The controller makes its hook as soon as it listens, which on the same `up` can be before
    // nginx answers: GitHub's ping at creation may then fail (GitHub does not retry it; nothing
    // is lost). The job is queued once the public /health answers, as a user would check it.
    await waitUntil(
      () =>
        proxyRequest(`${host}/health`).then(
          (answer) => answer.status === 200,
          () => false,
        ),
      60_000,
      'nginx answering /health',
    );
    const job = await fake.queueJob({ labels: ['self-hosted', 'linux'], durationMs: 1_000 });
    await waitUntil(() => fake.job(job.id)?.status === 'completed', 120_000, 'the job completed');
    await fake.settled();
    const deliveries = fake.deliveries().filter((delivery) => delivery.event === 'workflow_job');
    expect(deliveries.length).toBeGreaterThanOrEqual(3);
    // Through nginx, taken (202), or 200 for an event a resync had booked already.
    const statuses = deliveries.map((delivery) => delivery.statusCode);
    const failed = deliveries.filter((d) => d.statusCode !== 202 && d.statusCode !== 200);
    if (failed.length > 0) console.log(await compose(project.dir, 'logs', '--no-color'));
    expect(
      failed.map((d) => `${d.deliveredAt} ${d.action} ${d.status}: ${d.responseBody}`),
    ).toEqual([]);
    expect(statuses).toContain(202);
    await noLeftovers(project.controllerId);
    fake.assertClean();
  });
});
