import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerBridgeGateway } from '../support/docker-bridge.ts';
import { noLeftovers, removeAllOf, testControllerId } from '../support/docker-cleanup.ts';
import { startFakeActions, type FakeActions } from '../support/fake-actions/index.ts';
import { startFakeGitHub, type FakeGitHub } from '../support/fake-github/index.ts';
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
} from '../support/stack-project.ts';
import { waitUntil } from '../support/wait-until.ts';

// README's first quick start (scale-set mode), its commands as written: in a checkout of this
// tree, with the images built from it (no registry is reachable here), GitHub and its Actions
// service faked on Docker's bridge address. What differs from a user's run is only what this
// machine needs, appended to .env after the README's lines: where the fakes are, the images'
// names, the dind stand-in, a project name and controller id of the test's own. Debian's
// docker-compose stands for `docker compose`, as README says it may. The job then runs on a
// runner the controller started, with its own dind engine.
const run = promisify(execFile);
const suffix = randomBytes(4).toString('hex');
const controllerId = testControllerId();
const projectName = `autoscaler-quick-${suffix}`;
const SCALE_SET = 'autoscaler';

let fake: FakeGitHub;
let actions: FakeActions;
let project: string;

/** The README's quick start block for scale-set mode, as a shell script. */
async function quickStart(): Promise<string> {
  const readme = await readFile(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const section = readme.split('## Quick start (scale-set mode)')[1] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README has no scale-set quick start block');
  return block;
}

const env = () => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: project });

async function compose(...args: string[]): Promise<string> {
  const { stdout } = await run('docker-compose', args, {
    cwd: project,
    env: env(),
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
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
  project = await mkdtemp(path.join(tmpdir(), 'autoscaler-quick-'));
  // The checkout: the compose files with ephemeral host ports, the build inputs.
  await writeStackProject(project, {});
  await cp(
    path.resolve(import.meta.dirname, '../../.env.example'),
    path.join(project, '.env.example'),
  );
  const build = [
    '-p',
    projectName,
    '-f',
    'docker-compose.autoscale.yml',
    '-f',
    'docker-compose.build.yml',
    '-f',
    'standins.yml',
  ];
  const before = await imageIds(stackImages());
  const danglingBefore = await danglingTestImages();
  await run('docker-compose', [...build, 'build'], {
    cwd: project,
    env: { ...env(), VERSION: STACK_VERSION, REVISION: STACK_REVISION },
    maxBuffer: 16 * 1024 * 1024,
  });
  await dropReplaced(before, await imageIds(stackImages()), danglingBefore);
}, 900_000);

afterAll(async () => {
  if (project) {
    await compose('down', '-v', '--remove-orphans').catch((error: unknown) => console.log(error));
    await rm(project, { recursive: true, force: true });
  }
  await removeAllOf(controllerId);
  await actions?.close();
  await fake?.close();
}, 120_000);

describe("README's quick start (scale-set mode)", () => {
  let output = '';

  it('runs as written: the preflight check passes, and up starts the controller alone', async () => {
    const [controllerImage, , runnerImage] = stackImages();
    const here = [
      `GITHUB_API_URL=${fake.apiUrl}`,
      `COMPOSE_PROJECT_NAME=${projectName}`,
      `CONTROLLER_ID=${controllerId}`,
      `IMAGE_PREFIX=${STACK_PREFIX}`,
      `IMAGE_TAG=${STACK_VERSION}`,
      `RUNNER_IMAGE=${runnerImage ?? ''}`,
      'DIND_IMAGE=autoscaler-test/dind:local',
      'DIND_PRIVILEGED=false',
    ].join('\n');
    await writeFile(path.join(project, 'this-machine.env'), `${here}\n`);
    const script = (await quickStart())
      .replace(/^git clone .*$/m, '# (the checkout is there)')
      .replace(
        'https://github.com/OWNER/REPO',
        `https://github.com/${fake.defaultRepo.owner}/${fake.defaultRepo.name}`,
      )
      .replace('github_pat_...', fake.token)
      // After the README's own lines, what this machine needs.
      .replace(/^EOF$/m, 'EOF\ncat this-machine.env >> .env')
      .replaceAll('docker compose ', 'docker-compose ');
    const result = await run('bash', ['-e', '-o', 'pipefail', '-c', script], {
      cwd: project,
      env: env(),
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: unknown) => {
      throw new Error(
        `the quick start failed:\n${String((error as { stdout?: string }).stdout)}\n${String((error as { stderr?: string }).stderr)}`,
        { cause: error },
      );
    });
    output = result.stdout;
    console.log(`quick start output:\n${output}`);
    expect(output).toContain('All checks passed.');
    expect(output).not.toMatch(/^FAIL/m);
    expect(output).not.toContain(fake.token);
    const services = (await compose('ps', '--services', '--filter', 'status=running'))
      .split('\n')
      .filter(Boolean);
    expect(services).toEqual(['controller']);
    const id = (await compose('ps', '-q', 'controller')).trim();
    const { stdout } = await run('docker', ['inspect', '--format', '{{.Config.Image}}', id]);
    expect(stdout.trim()).toBe(controllerImage);
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
    await noLeftovers(controllerId);
    fake.assertClean();
  });
});
