import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { docker } from '../support/harness/docker-cleanup.ts';

// Issue 17, defect 11: docker-compose.yml (the static pool) and docker-compose.autoscale.yml sat
// in one folder with no project name, both with a service `runner`: `up` of the autoscaler
// (runner at scale 0) could scale the static pool's runners away or remove them as orphans.
// Here both come up at once in a checkout, each from its own folder and .env (made from its
// .env.example, as the docs say), with plain `docker-compose` commands and no -p or -f.
// The images are a sleeping stand-in: this is about compose projects, not what runs.
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const suffix = randomBytes(4).toString('hex');
const SLEEPER = `autoscaler-test/sleeper:${suffix}`;
const TEST_LABEL = 'io.runner-autoscaler.test=true';

let checkout: string;
const projects = { autoscaler: '', pool: '' };

async function compose(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('docker-compose', args, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: checkout },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}
const root = () => checkout;
const poolDir = () => path.join(checkout, 'static-pool');

async function containersOf(project: string) {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`com.docker.compose.project=${project}`] },
  });
  return list.map((c) => c.Labels['com.docker.compose.service'] ?? '').sort();
}

/** `.env.example` with the project name made unique and `settings` after it. */
async function writeEnv(from: string, to: string, settings: Record<string, string>) {
  const example = await readFile(path.join(ROOT, from), 'utf8');
  const name = /^COMPOSE_PROJECT_NAME=(.+)$/m.exec(example)?.[1];
  if (!name) throw new Error(`${from} names no COMPOSE_PROJECT_NAME`);
  const project = `${name}-e2e-${suffix}`;
  const lines = Object.entries({ COMPOSE_PROJECT_NAME: project, ...settings }).map(
    ([key, value]) => `${key}=${value}`,
  );
  await writeFile(to, `${example}\n${lines.join('\n')}\n`);
  return project;
}

beforeAll(async () => {
  await run('sh', [
    '-c',
    `printf 'FROM autoscaler-test/busybox:local\\nCMD ["sleep", "600"]\\n' | docker build -q --label ${TEST_LABEL} -t "$0" - >/dev/null`,
    SLEEPER,
  ]);
  checkout = await mkdtemp(path.join(tmpdir(), 'autoscaler-two-stacks-'));
  // The autoscaler's compose file as it is, but for an ephemeral host port (8080 may be taken).
  const file = parse(await readFile(path.join(ROOT, 'docker-compose.autoscale.yml'), 'utf8')) as {
    services: { controller: { ports?: string[] } };
  };
  file.services.controller.ports = ['127.0.0.1::8080'];
  await writeFile(path.join(checkout, 'docker-compose.autoscale.yml'), stringify(file));
  await mkdir(poolDir());
  // The static pool's build context, which compose checks even when it builds nothing.
  await symlink(path.join(ROOT, 'runner-image'), path.join(checkout, 'runner-image'));
  await cp(
    path.join(ROOT, 'static-pool/docker-compose.yml'),
    path.join(poolDir(), 'docker-compose.yml'),
  );
  await writeFile(path.join(poolDir(), 'runner-pat'), 'ghp_not-used', { mode: 0o600 });
  const gid = String((await stat('/var/run/docker.sock')).gid);
  // Scale-set mode, as the quick start's first path: the controller alone, no nginx.
  projects.autoscaler = await writeEnv('.env.example', path.join(root(), '.env'), {
    GITHUB_URL: 'https://github.com/octocat/hello-world',
    GITHUB_TOKEN: 'ghp_not-used',
    JOB_SOURCE: 'scaleset',
    SCALE_SET_NAME: 'e2e',
    DOCKER_GID: gid,
    IMAGE_PREFIX: `autoscaler-test/two-stacks-${suffix}`,
    IMAGE_TAG: 'e2e',
    RUNNER_IMAGE: SLEEPER,
  });
  projects.pool = await writeEnv('static-pool/.env.example', path.join(poolDir(), '.env'), {
    GITHUB_URL: 'https://github.com/octocat/hello-world',
    DOCKER_GID: gid,
    REPLICAS: '2',
    RUNNER_IMAGE: SLEEPER,
    // The runners' own folders: in the checkout, removed with it.
    RUNNER_HOST_DIR: path.join(checkout, 'runners'),
  });
  await run('docker', ['tag', SLEEPER, `autoscaler-test/two-stacks-${suffix}-controller:e2e`]);
}, 120_000);

afterAll(async () => {
  if (checkout) {
    for (const dir of [root(), poolDir()])
      await compose(dir, 'down', '-v', '--remove-orphans', '-t', '1').catch((error: unknown) =>
        console.log(error),
      );
    await rm(checkout, { recursive: true, force: true });
  }
  for (const image of [SLEEPER, `autoscaler-test/two-stacks-${suffix}-controller:e2e`])
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
}, 120_000);

describe('the autoscaler and the static pool in one checkout', () => {
  it('come up at once as two projects, and neither up nor down of one touches the other', async () => {
    await compose(poolDir(), 'up', '-d');
    expect(await containersOf(projects.pool)).toEqual(['runner', 'runner']);
    await compose(root(), 'up', '-d', '--remove-orphans');
    // Scale-set mode: the controller alone (nginx is in the webhook profile; runner at scale 0).
    expect(await containersOf(projects.autoscaler)).toEqual(['controller']);
    expect(await containersOf(projects.pool)).toEqual(['runner', 'runner']);
    await compose(root(), 'down', '--remove-orphans', '-t', '1');
    expect(await containersOf(projects.autoscaler)).toEqual([]);
    expect(await containersOf(projects.pool)).toEqual(['runner', 'runner']);
  });
});
