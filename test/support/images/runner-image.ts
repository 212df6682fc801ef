import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { dockerBridgeGateway } from '../harness/docker-bridge.ts';
import { docker } from '../harness/docker-cleanup.ts';
import { sha256Of, startRunnerReleaseServer } from '../fakes/runner-release-server.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');
export const RUNNER_IMAGE_DIR = path.join(ROOT, 'runner-image');
const STANDIN_DIR = path.join(import.meta.dirname, 'runner-tarball');

export const TEST_LABEL = 'io.runner-autoscaler.test';
const HASH_LABEL = 'io.runner-autoscaler.test.hash';
const DEBIAN_IMAGE = 'autoscaler-test/debian:bookworm';

/** runner-image/Dockerfile built with the stand-in tarball (see test/support/README.md). */
export const STANDIN_IMAGE = 'autoscaler-test/runner-image:standin';
/** The version the stand-in image says it has (any X.Y.Z: its checksum is passed explicitly). */
export const STANDIN_VERSION = '2.338.0';

/**
 * What every test build passes: the local Debian base, and Debian's docker.io for the Docker
 * CLI (Docker's apt repository is not reachable here). Same values, same cached apt layers.
 */
export const OFFLINE_BUILD_ARGS = { BASE_IMAGE: DEBIAN_IMAGE, DOCKER_CLI_SOURCE: 'debian' };

/**
 * The stand-in for the actions/runner tarball (test/support/images/runner-tarball), made reproducibly
 * (sorted, mtime 0, root-owned) so that its SHA-256 only changes with its files.
 */
export async function standinTarball(): Promise<Buffer> {
  const { stdout } = await run(
    'tar',
    [
      '--sort=name',
      '--mtime=@0',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '-C',
      STANDIN_DIR,
      '-cf',
      '-',
      '.',
    ],
    { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
  );
  return gzipSync(stdout);
}

export interface BuildResult {
  ok: boolean;
  /** stdout and stderr of `docker build`, interleaved. */
  output: string;
  /** The image's name (given, or a fresh one under autoscaler-test/), when the build succeeded. */
  tag: string;
}

/**
 * `docker build` of runner-image/ (the legacy builder here), labelled as a test image and always
 * tagged, so that the caller can remove what it built (also a build that should have failed).
 */
export function buildRunnerImage(
  args: Record<string, string>,
  options: { tag?: string; labels?: Record<string, string> } = {},
): Promise<BuildResult> {
  const labels = { [TEST_LABEL]: 'true', ...options.labels };
  const tag = options.tag ?? `autoscaler-test/runner-build-${randomBytes(4).toString('hex')}:test`;
  const argv = [
    'build',
    '--force-rm',
    ...Object.entries(labels).flatMap(([name, value]) => ['--label', `${name}=${value}`]),
    ...Object.entries(args).flatMap(([name, value]) => ['--build-arg', `${name}=${value}`]),
    '-t',
    tag,
    RUNNER_IMAGE_DIR,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('docker', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ ok: code === 0, output, tag }));
  });
}

async function filesOf(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

async function inputsHash(debianId: string, tarball: Buffer): Promise<string> {
  const hash = createHash('sha256').update(debianId).update(sha256Of(tarball));
  for (const file of await filesOf(RUNNER_IMAGE_DIR)) {
    hash.update(path.relative(RUNNER_IMAGE_DIR, file)).update(await readFile(file));
  }
  return hash.digest('hex').slice(0, 16);
}

const imageId = (name: string) =>
  docker
    .getImage(name)
    .inspect()
    .then(
      (info) => info,
      () => undefined,
    );

/**
 * Builds STANDIN_IMAGE unless an image of the same inputs exists (hash label, like the build
 * scripts). The first build installs the apt layers (a minute or two); later ones reuse them, and
 * the tests' own builds of runner-image/ share those layers. The tarball is served from the host
 * on Docker's bridge for the duration of the build.
 */
export async function ensureStandinRunnerImage(): Promise<string> {
  await run('sh', [path.join(import.meta.dirname, 'e2e-build-nginx.sh'), 'debian']);
  const debian = await imageId(DEBIAN_IMAGE);
  if (!debian) throw new Error(`${DEBIAN_IMAGE} is missing`);
  const tarball = await standinTarball();
  const want = await inputsHash(debian.Id, tarball);
  const existing = await imageId(STANDIN_IMAGE);
  if (existing?.Config.Labels?.[HASH_LABEL] === want) return STANDIN_IMAGE;

  const server = await startRunnerReleaseServer(await dockerBridgeGateway());
  try {
    server.addTarball(STANDIN_VERSION, tarball);
    const sha256 = sha256Of(tarball);
    const result = await buildRunnerImage(
      {
        ...OFFLINE_BUILD_ARGS,
        RUNNER_VERSION: STANDIN_VERSION,
        RUNNER_SHA256_X64: sha256,
        RUNNER_SHA256_ARM64: sha256,
        RUNNER_DOWNLOAD_URL: server.urls().downloadUrl,
      },
      { tag: STANDIN_IMAGE, labels: { [HASH_LABEL]: want } },
    );
    if (!result.ok) throw new Error(`building ${STANDIN_IMAGE} failed:\n${result.output}`);
  } finally {
    await server.close();
  }
  // The replaced image is left untagged: remove it unless something still uses it.
  if (existing)
    await docker
      .getImage(existing.Id)
      .remove()
      .catch(() => undefined);
  return STANDIN_IMAGE;
}
