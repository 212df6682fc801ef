import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerBridgeGateway } from '../support/harness/docker-bridge.ts';
import { docker } from '../support/harness/docker-cleanup.ts';
import {
  buildRunnerImage,
  type BuildResult,
  ensureStandinRunnerImage,
  OFFLINE_BUILD_ARGS,
  RUNNER_IMAGE_DIR,
  STANDIN_IMAGE,
  STANDIN_VERSION,
  standinTarball,
  TEST_LABEL,
} from '../support/images/runner-image.ts';
import {
  sha256Of,
  startRunnerReleaseServer,
  tarballName,
  type RunnerArch,
  type RunnerReleaseServer,
} from '../support/fakes/runner-release-server.ts';

// runner-image/Dockerfile's install step, built for real with the stand-in tarball served from
// the host: every build verifies the tarball's SHA-256 (given, built in, or the releases API's
// digest with RUNNER_VERSION=latest), and a build that cannot verify it fails.
const run = promisify(execFile);
const LATEST = '2.339.0';
const WRONG = 'f'.repeat(64);
const built: string[] = [];

let server: RunnerReleaseServer;
let tarball: Buffer;
let arch: RunnerArch;

// The legacy builder colours a step's stderr.
const ANSI_COLOR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** The install step's lines of a build's output (the rest is the legacy builder's chatter). */
const installLines = (output: string) =>
  output
    .replaceAll(ANSI_COLOR, '')
    .split('\n')
    .filter((line) => line.startsWith('install-runner:'))
    .join('\n');

beforeAll(async () => {
  await ensureStandinRunnerImage();
  tarball = await standinTarball();
  server = await startRunnerReleaseServer(await dockerBridgeGateway());
  server.addTarball(STANDIN_VERSION, tarball);
  server.addTarball(LATEST, tarball);
  const info = (await docker.info()) as { Architecture: string };
  arch = info.Architecture === 'aarch64' ? 'arm64' : 'x64';
}, 600_000);

afterAll(async () => {
  for (const tag of built)
    await docker
      .getImage(tag)
      .remove({ force: true })
      .catch(() => undefined);
  await server?.close();
});

/** Builds runner-image/ and remembers the image for afterAll, whether or not it should exist. */
async function build(args: Record<string, string>): Promise<BuildResult> {
  const result = await buildRunnerImage({ ...OFFLINE_BUILD_ARGS, ...args });
  built.push(result.tag);
  return result;
}

const pinned = (extra: Record<string, string> = {}) =>
  build({
    RUNNER_VERSION: STANDIN_VERSION,
    RUNNER_DOWNLOAD_URL: server.urls().downloadUrl,
    ...extra,
  });

const latest = () => {
  const urls = server.urls();
  return build({
    RUNNER_VERSION: 'latest',
    RUNNER_DOWNLOAD_URL: urls.downloadUrl,
    RUNNER_RELEASES_API: urls.releasesApi,
  });
};

describe('the runner image build', () => {
  it('installs the stand-in tarball whose checksum it was given, labelled with its version', async () => {
    const image = await docker.getImage(STANDIN_IMAGE).inspect();
    expect(image.Config.Labels).toMatchObject({
      'org.opencontainers.image.version': STANDIN_VERSION,
      [TEST_LABEL]: 'true',
    });
    expect(image.Config.User).toBe('runner');
    // installdependencies.sh ran as root during the build; the files belong to the runner user.
    const { stdout } = await run('docker', [
      'run',
      '--rm',
      '--label',
      `${TEST_LABEL}=true`,
      '--entrypoint',
      'bash',
      STANDIN_IMAGE,
      '-c',
      'jq -c "{cmd, uid}" /tmp/standin-0/calls.jsonl; stat -c %U:%a /home/runner/config.sh; docker --version',
    ]);
    expect(stdout).toContain('{"cmd":"installdependencies.sh","uid":0}');
    expect(stdout).toContain('runner:755');
    expect(stdout).toMatch(/^Docker version/m);
  });

  it('fails when the tarball does not match the given checksum', async () => {
    const result = await pinned({ RUNNER_SHA256_X64: WRONG, RUNNER_SHA256_ARM64: WRONG });
    expect(result.ok).toBe(false);
    expect(installLines(result.output)).toContain(
      `SHA-256 mismatch for ${tarballName(arch, STANDIN_VERSION)}: expected ${WRONG} (RUNNER_SHA256_${arch.toUpperCase()}), downloaded ${sha256Of(tarball)}`,
    );
  });

  it('checks a default build against the checksum built in for that version', async () => {
    // The stand-in is not the real 2.338.0, so the built-in (real) value must refuse it.
    const table = await readFile(path.join(RUNNER_IMAGE_DIR, 'runner-checksums.txt'), 'utf8');
    const builtIn = new RegExp(`^([0-9a-f]{64})  ${tarballName(arch, STANDIN_VERSION)}$`, 'm').exec(
      table,
    )?.[1];
    expect(builtIn).toMatch(/^[0-9a-f]{64}$/);
    const dockerfile = await readFile(path.join(RUNNER_IMAGE_DIR, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`ARG RUNNER_VERSION=${STANDIN_VERSION}\n`);

    const result = await pinned();
    expect(result.ok).toBe(false);
    expect(installLines(result.output)).toContain(
      `expected ${builtIn ?? ''} (runner-checksums.txt), downloaded ${sha256Of(tarball)}`,
    );
  });

  it('refuses a version it knows no checksum for, before downloading anything', async () => {
    const before = server.requests.length;
    const result = await pinned({ RUNNER_VERSION: '2.300.0' });
    expect(result.ok).toBe(false);
    expect(installLines(result.output)).toContain(
      `no SHA-256 known for ${tarballName(arch, '2.300.0')}`,
    );
    expect(server.requests.slice(before)).toEqual([]);
  });

  it('with RUNNER_VERSION=latest, installs the latest release checked against its asset digest', async () => {
    server.setLatest(LATEST);
    const result = await latest();
    expect(installLines(result.output)).toContain(
      `install-runner: actions/runner ${LATEST} (${arch}) installed, SHA-256 ${sha256Of(tarball)} verified against the digest the releases API publishes for it`,
    );
    expect(result.ok).toBe(true);
    const image = await docker.getImage(result.tag).inspect();
    // The label cannot know the version `latest` resolves to (see the Dockerfile).
    expect(image.Config.Labels?.['org.opencontainers.image.version']).toBe('latest');
    expect(server.requests).toContain('GET /repos/actions/runner/releases/latest');
    expect(server.requests).toContain(`GET /download/v${LATEST}/${tarballName(arch, LATEST)}`);
    expect(server.contractViolations).toEqual([]);
  });

  it('with RUNNER_VERSION=latest, fails when the digest does not match, or there is none', async () => {
    server.setLatest(LATEST, { x64: `sha256:${WRONG}`, arm64: `sha256:${WRONG}` });
    const wrong = await latest();
    expect(wrong.ok).toBe(false);
    expect(installLines(wrong.output)).toContain(
      `SHA-256 mismatch for ${tarballName(arch, LATEST)}: expected ${WRONG} (the digest the releases API publishes for it)`,
    );

    server.setLatest(LATEST, { x64: null, arm64: null });
    const none = await latest();
    expect(none.ok).toBe(false);
    expect(installLines(none.output)).toContain(
      `release v${LATEST} publishes no sha256 digest for ${tarballName(arch, LATEST)}`,
    );
    expect(server.contractViolations).toEqual([]);
  });
});
