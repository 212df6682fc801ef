import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildDindImagesFirst } from '../support/images/dind-helpers.ts';
import { docker } from '../support/harness/docker-cleanup.ts';
import { harnessForEachTest, STUB_IMAGE, type Harness } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

/*
 * Runner image pull policies against a real registry (Debian's distribution, the stand-in for
 * registry:2 that test/support/images/build-dind-images.sh builds), published on a loopback port the
 * engine may pull from without TLS: a new `latest` arrives on its own, a private registry is
 * pulled from with the logins of a Docker config.json, and a failed pull is named per pool.
 */

const run = promisify(execFile);
const REGISTRY_IMAGE = 'autoscaler-test/registry:local';
const TEST_LABEL = 'io.runner-autoscaler.test=true';

let h: Harness;
const cleanup: (() => Promise<unknown>)[] = [];

buildDindImagesFirst();
harnessForEachTest((made) => (h = made), {
  afterCleanup: async () => {
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  },
});

/** A registry on 127.0.0.1:<port>; with `auth`, htpasswd logins only. Returns its address. */
async function startRegistry(auth?: { user: string; password: string }): Promise<string> {
  const binds: string[] = [];
  const env: string[] = [];
  if (auth) {
    const dir = mkdtempSync(join(tmpdir(), 'autoscaler-htpasswd-'));
    cleanup.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    // distribution reads bcrypt entries only; the machine's crypt(3) makes them.
    const { stdout } = await run('python3', [
      '-W',
      'ignore',
      '-c',
      'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))',
      auth.password,
    ]);
    writeFileSync(join(dir, 'htpasswd'), `${auth.user}:${stdout.trim()}\n`);
    binds.push(`${dir}:/auth:ro`);
    env.push(
      'REGISTRY_AUTH=htpasswd',
      'REGISTRY_AUTH_HTPASSWD_REALM=test',
      'REGISTRY_AUTH_HTPASSWD_PATH=/auth/htpasswd',
    );
  }
  const container = await docker.createContainer({
    Image: REGISTRY_IMAGE,
    Labels: { 'io.runner-autoscaler.test': 'true' },
    Env: env,
    ExposedPorts: { '5000/tcp': {} },
    HostConfig: {
      Binds: binds,
      PortBindings: { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
    },
  });
  cleanup.push(() => container.remove({ force: true, v: true }));
  await container.start();
  const port = (await container.inspect()).NetworkSettings.Ports['5000/tcp']?.[0]?.HostPort;
  if (!port) throw new Error('the registry published no port');
  const address = `127.0.0.1:${port}`;
  await waitUntil(
    () =>
      fetch(`http://${address}/v2/`).then(
        (r) => r.status === 200 || r.status === 401,
        () => false,
      ),
    15_000,
    'the registry answering',
  );
  return address;
}

/** The runner stub with a version label, pushed as `ref` (with `config` holding a login). */
async function pushRunner(ref: string, version: string, config?: string): Promise<void> {
  const dockerfile = `FROM ${STUB_IMAGE}\nLABEL org.opencontainers.image.version=${version}\n`;
  await run('sh', [
    '-c',
    `printf '%s' "$0" | docker build -q --label ${TEST_LABEL} -t "$1" - >/dev/null && docker ${config ? `--config "$2"` : ''} push -q "$1" >/dev/null`,
    dockerfile,
    ref,
    config ?? '',
  ]);
  // The engine must get it from the registry, not from what this build left.
  await docker.getImage(ref).remove({ force: true });
  cleanup.push(() => docker.getImage(ref).remove({ force: true }));
}

type Health = {
  repositories: { pools: { runnerImage: { version: string | null; pullError?: string } }[] }[];
  warnings: string[];
};
const poolImage = async () =>
  ((await (await fetch(`${h.controller?.url ?? ''}/health`)).json()) as Health).repositories[0]
    ?.pools[0]?.runnerImage;

describe('runner image pull policy', () => {
  it('auto: pulls at start and again on its interval, so a new latest arrives and serves jobs', async () => {
    const registry = await startRegistry();
    const image = `${registry}/runner:latest`;
    await pushRunner(image, '2.400.0');
    await h.start({
      RUNNER_IMAGE: image,
      RUNNER_PULL_POLICY: 'auto',
      RUNNER_PULL_INTERVAL_SECONDS: '10',
    });
    await waitUntil(async () => (await poolImage())?.version === '2.400.0', 30_000, 'v1 pulled');
    await pushRunner(image, '2.401.0');
    await waitUntil(async () => (await poolImage())?.version === '2.401.0', 60_000, 'v2 arrived');
    const job = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 300 });
    await waitUntil(() => h.fake.job(job.id)?.status === 'completed', 30_000, 'served by v2');
    expect(h.controller?.logs().some((l) => l.msg === 'runner image updated')).toBe(true);
  });

  it('pulls from a private registry with the logins of DOCKER_CONFIG, and names a failed pull', async () => {
    const auth = { user: 'builder', password: 'correct-horse' };
    const registry = await startRegistry(auth);
    const config = mkdtempSync(join(tmpdir(), 'autoscaler-docker-config-'));
    cleanup.push(() => Promise.resolve(rmSync(config, { recursive: true, force: true })));
    // As a user logs in on the host: `docker login` writes config.json's auths.
    await run('sh', [
      '-c',
      'printf "%s" "$0" | docker --config "$1" login "$2" -u "$3" --password-stdin >/dev/null',
      auth.password,
      config,
      registry,
      auth.user,
    ]);
    const image = `${registry}/private-runner:latest`;
    await pushRunner(image, '2.402.0', config);

    const anonymous = await h.start({ RUNNER_IMAGE: image, RUNNER_PULL_POLICY: 'auto' });
    await waitUntil(
      async () => (await poolImage())?.pullError !== undefined,
      30_000,
      'a pull error',
    );
    expect((await poolImage())?.pullError).toMatch(
      /no basic auth credentials|unauthorized|authentication required/i,
    );
    await anonymous.stop();

    await h.start({ RUNNER_IMAGE: image, RUNNER_PULL_POLICY: 'auto', DOCKER_CONFIG: config });
    await waitUntil(
      async () => (await poolImage())?.version === '2.402.0',
      30_000,
      'pulled with the login',
    );
    expect((await poolImage())?.pullError).toBeUndefined();
    expect(h.controller?.output()).not.toContain(auth.password);
  });
});
