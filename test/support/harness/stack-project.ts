import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';

// A user's checkout and .env for the e2e stack test, in a folder of its own: the compose files, the
// build inputs they name, and .env made from .env.example the way the README says to.
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');
/** The test images and their scripts (test/support/images). */
const SUPPORT = path.resolve(import.meta.dirname, '../images');

/** The version the stack's images are built as, and pinned to (IMAGE_TAG). */
export const STACK_VERSION = '9.8.7-e2e';
export const STACK_REVISION = '0123456789abcdef0123456789abcdef01234567';
export const STACK_PREFIX = 'autoscaler-test/stack';
/** The actions/runner release the runner stand-in claims to carry (its version label). */
export const STACK_RUNNER_VERSION = '2.330.0';

const BUILD_INPUTS = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  '.dockerignore',
  'controller/Dockerfile',
  'controller/src',
  'nginx',
  'runner-image',
];

async function imageExists(image: string): Promise<boolean> {
  return run('docker', ['image', 'inspect', image]).then(
    () => true,
    () => false,
  );
}

/** The local stand-ins the builds start from (base images, dind, the runner stub). */
export async function buildStandins(): Promise<void> {
  for (const script of ['e2e-build-nginx.sh', 'build-dind-images.sh'])
    await run('sh', [path.join(SUPPORT, script)], { cwd: ROOT });
  const node = ['autoscaler-test/node:24', 'autoscaler-test/node-distroless:24'];
  if (!(await Promise.all(node.map(imageExists))).every(Boolean))
    await run('sh', [path.join(SUPPORT, 'e2e-build-node-standins.sh')], { cwd: ROOT });
}

/**
 * Writes the project: docker-compose.autoscale.yml with ephemeral host ports (the only change, so
 * that the test runs beside whatever holds 80, 443 or 8080), docker-compose.build.yml as it is,
 * the stand-in builds, and .env: .env.example with IMAGE_PREFIX and IMAGE_TAG uncommented and set,
 * then `settings` (a later line wins).
 */
export async function writeStackProject(
  project: string,
  settings: Record<string, string>,
): Promise<void> {
  const original = parse(
    await readFile(path.join(ROOT, 'docker-compose.autoscale.yml'), 'utf8'),
  ) as { services: Record<string, { ports?: string[] }> };
  const { controller, nginx } = original.services;
  if (!controller || !nginx) throw new Error('the compose file lost a service');
  controller.ports = ['127.0.0.1::8080'];
  nginx.ports = ['127.0.0.1::80', '127.0.0.1::443'];
  await writeFile(path.join(project, 'docker-compose.autoscale.yml'), stringify(original));
  await cp(
    path.join(ROOT, 'docker-compose.build.yml'),
    path.join(project, 'docker-compose.build.yml'),
  );
  await cp(path.join(SUPPORT, 'compose-stack-standins.yml'), path.join(project, 'standins.yml'));
  await cp(path.join(SUPPORT, 'runner-standin'), path.join(project, 'runner-standin'), {
    recursive: true,
  });
  for (const input of BUILD_INPUTS)
    await cp(path.join(ROOT, input), path.join(project, input), { recursive: true });
  for (const dir of ['certs', 'acme']) await mkdir(path.join(project, dir));

  const example = await readFile(path.join(ROOT, '.env.example'), 'utf8');
  const pinned = example
    .replace(/^# IMAGE_PREFIX=.*$/m, `IMAGE_PREFIX=${STACK_PREFIX}`)
    .replace(/^# IMAGE_TAG=.*$/m, `IMAGE_TAG=${STACK_VERSION}`);
  if (!pinned.includes(`IMAGE_TAG=${STACK_VERSION}`) || !/^RUNNER_IMAGE=/m.test(pinned))
    throw new Error('.env.example lost its IMAGE_PREFIX, IMAGE_TAG or RUNNER_IMAGE line');
  const lines = Object.entries(settings).map(([name, value]) => `${name}=${value}`);
  await writeFile(path.join(project, '.env'), `${pinned}\n${lines.join('\n')}\n`, { mode: 0o600 });
}

export const stackImages = (tag = STACK_VERSION) =>
  ['controller', 'nginx', 'runner'].map((name) => `${STACK_PREFIX}-${name}:${tag}`);

/** Image ids of the stack's images, to remove the ones a rebuild replaced. */
export async function imageIds(images: string[]): Promise<string[]> {
  const ids = await Promise.all(
    images.map((image) =>
      run('docker', ['image', 'inspect', '--format', '{{.Id}}', image]).then(
        ({ stdout }) => stdout.trim(),
        () => '',
      ),
    ),
  );
  return ids.filter(Boolean);
}

/** Untagged test images: a replaced image, or the build stage the legacy builder leaves. */
export async function danglingTestImages(): Promise<string[]> {
  const { stdout } = await run('docker', [
    'images',
    '-q',
    '--no-trunc',
    '--filter',
    'dangling=true',
    '--filter',
    'label=io.runner-autoscaler.test=true',
  ]);
  return stdout.split('\n').filter(Boolean);
}

/**
 * Removes what a build left: the images it replaced and the untagged test images that appeared
 * while it ran (the controller's build stage), unless something still uses them.
 */
export async function dropReplaced(
  before: string[],
  after: string[],
  danglingBefore: string[],
): Promise<void> {
  const stale = before.filter((old) => !after.includes(old));
  const left = (await danglingTestImages()).filter((id) => !danglingBefore.includes(id));
  for (const id of [...stale, ...left]) await run('docker', ['rmi', id]).catch(() => undefined);
}
