import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DIND_IMAGE } from '../support/images/dind-helpers.ts';
import { dockerBridgeGateway } from '../support/harness/docker-bridge.ts';
import { docker } from '../support/harness/docker-cleanup.ts';
import { callApi, startFakeGitHub, type FakeGitHub } from '../support/fakes/fake-github/index.ts';
import { ensureStandinRunnerImage } from '../support/images/runner-image.ts';
import { createStandinRunners, type StandinCall } from '../support/images/standin-runner.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

// runner-image/entrypoint.sh in the real image, with the stand-in tarball: its config.sh and
// run.sh record what they get. GitHub is the fake in GHES mode on Docker's bridge, so that
// GITHUB_URL (http://BRIDGE:PORT/octocat/hello-world) gives both the entrypoint's API URL
// (…/api/v3) and the origin the stand-in registers at, as a real GHES host would.
const PAT = 'ghp_entrypointTestToken0000000000000000';
const runId = randomBytes(4).toString('hex');
const runners = createStandinRunners(runId);

let fake: FakeGitHub;
let repoUrl: string;

const TOKEN_VARS = [
  'GITHUB_TOKEN',
  'GITHUB_TOKEN_FILE',
  'ACCESS_TOKEN',
  'RUNNER_TOKEN',
  'RUNNER_TOKEN_FILE',
  'ACTIONS_RUNNER_INPUT_TOKEN',
];

/** No credential reached run.sh (and so the jobs it runs). */
function expectNoCredentials(call: StandinCall, secrets: string[]) {
  for (const name of TOKEN_VARS) expect(call.env).not.toHaveProperty(name);
  const everything = JSON.stringify(call);
  for (const secret of secrets) expect(everything).not.toContain(secret);
}

async function registrationToken(): Promise<string> {
  const answer = await callApi(
    fake,
    'POST',
    `/repos/octocat/hello-world/actions/runners/registration-token`,
  );
  return (answer.body as { token: string }).token;
}

// The fake lives for the whole file: each test looks at its own runner only.
const runnersNamed = (name: string) => fake.runners().filter((runner) => runner.name === name);

const tokensOf = (kind: 'registration' | 'remove') =>
  fake
    .runnerTokens()
    .filter((token) => token.kind === kind)
    .map((token) => token.token);

beforeAll(async () => {
  await ensureStandinRunnerImage();
  await promisify(execFile)('sh', ['test/support/images/build-dind-images.sh'], {
    cwd: new URL('../..', import.meta.url).pathname,
  });
  fake = await startFakeGitHub({
    host: await dockerBridgeGateway(),
    pathPrefix: '/api/v3',
    tokens: [PAT],
  });
  repoUrl = `${fake.url}/octocat/hello-world`;
}, 600_000);

afterEach(async () => {
  await runners.removeAll();
  fake.assertClean();
});

afterAll(async () => {
  await runners.removeAll();
  await fake?.close();
});

describe('the runner entrypoint', () => {
  it('in JIT mode, hands the JIT config to run.sh in its environment and configures nothing', async () => {
    const runner = await runners.start({
      ACTIONS_RUNNER_INPUT_JITCONFIG: 'eyJqaXQiOiJjb25maWcifQ==',
    });
    await runner.waitForCall('listener');
    // docker stop: tini passes SIGTERM to run.sh, which stops the listener gracefully.
    await runner.container.stop({ t: 20 });
    expect(await runner.exited()).toBe(0);
    const calls = await runner.calls();
    expect(calls.map((call) => call.cmd)).toEqual(['run.sh', 'listener', 'listener:signal']);
    expect(calls[0]?.args).toEqual([]);
    expect(calls[0]?.env).toMatchObject({
      ACTIONS_RUNNER_INPUT_JITCONFIG: 'eyJqaXQiOiJjb25maWcifQ==',
      RUNNER_MANUALLY_TRAP_SIG: '1',
    });
    expect(calls[0]?.uid).toBe(1001);
  });

  it('in JIT mode, starts the runner only once the Docker engine behind DOCKER_HOST answers', async () => {
    // The dind sidecar starts with the runner: its engine answers a moment later.
    const volume = `standin-dind-${runId}`;
    await docker.createVolume({ Name: volume, Labels: { 'io.runner-autoscaler.test': 'true' } });
    const sidecars: string[] = [];
    try {
      const runner = await runners.start(
        {
          ACTIONS_RUNNER_INPUT_JITCONFIG: 'eyJqaXQiOiJjb25maWcifQ==',
          DOCKER_HOST: 'unix:///var/run/dind/docker.sock',
        },
        { binds: [`${volume}:/var/run/dind`] },
      );
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(await runner.calls()).toEqual([]);
      const sidecar = await docker.createContainer({
        Image: DIND_IMAGE,
        Cmd: ['dockerd', '--host=unix:///var/run/dind/docker.sock', '--group=123'],
        Env: ['DOCKER_TLS_CERTDIR='],
        Labels: { 'io.runner-autoscaler.test': 'true' },
        // The hardened sidecar's settings (container-spec.ts, DIND_PRIVILEGED=false).
        HostConfig: {
          CapAdd: ['SYS_ADMIN', 'NET_ADMIN'],
          SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
          MaskedPaths: [],
          ReadonlyPaths: [],
          Binds: [`${volume}:/var/run/dind`, '/sys/fs/cgroup:/sys/fs/cgroup:rw'],
        },
      });
      sidecars.push(sidecar.id);
      await sidecar.start();
      const call = await runner.waitForCall('run.sh', 1, 60_000);
      expect(call.uid).toBe(1001);
    } finally {
      await Promise.all(
        sidecars.map((id) =>
          docker
            .getContainer(id)
            .remove({ force: true, v: true })
            .catch(() => undefined),
        ),
      );
      await runners.removeAll();
      await docker
        .getVolume(volume)
        .remove()
        .catch(() => undefined);
    }
  });

  it('in JIT mode, gives up on an engine that does not answer in DOCKER_WAIT_SECONDS, and says so', async () => {
    const runner = await runners.start({
      ACTIONS_RUNNER_INPUT_JITCONFIG: 'eyJqaXQiOiJjb25maWcifQ==',
      DOCKER_HOST: 'unix:///var/run/dind/docker.sock',
      DOCKER_WAIT_SECONDS: '2',
    });
    expect(await runner.exited()).toBe(1);
    expect(await runner.logs()).toContain(
      'no Docker engine answered at unix:///var/run/dind/docker.sock within 2s',
    );
    expect(await runner.calls()).toEqual([]);
  });

  it('with a registration token, runs config.sh with the documented options, then run.sh', async () => {
    const token = await registrationToken();
    const runner = await runners.start({
      GITHUB_URL: repoUrl,
      RUNNER_TOKEN: token,
      RUNNER_NAME_PREFIX: 'static',
      RUNNER_LABELS: 'self-hosted,linux,gpu',
    });
    const config = await runner.waitForCall('config.sh');
    const hostname = (await runner.container.inspect()).Config.Hostname;
    expect(config.args).toEqual([
      '--unattended',
      '--url',
      repoUrl,
      '--name',
      `static-${hostname}`,
      '--labels',
      'self-hosted,linux,gpu',
      '--runnergroup',
      'Default',
      '--work',
      '_work',
      '--disableupdate',
      '--replace',
      '--ephemeral',
    ]);
    // The token reaches config.sh as the runner's ACTIONS_RUNNER_INPUT_TOKEN, not on a command line.
    expect(config.env.ACTIONS_RUNNER_INPUT_TOKEN).toBe(token);
    expect(config.env).not.toHaveProperty('RUNNER_TOKEN');
    const started = await runner.waitForCall('run.sh');
    expectNoCredentials(started, [token]);
    expect(runnersNamed(`static-${hostname}`)).toEqual([
      expect.objectContaining({
        // The runner's own labels first (self-hosted, Linux, X64 or ARM64), without repeats.
        labels: [
          'self-hosted',
          'Linux',
          expect.stringMatching(/^(X64|ARM64)$/) as unknown as string,
          'gpu',
        ],
        status: 'online',
        ephemeral: true,
        runnerGroupId: 1,
      }),
    ]);
    expect(await runner.logs()).not.toContain(token);
  });

  it('with a PAT in a file, fetches a registration token and, on SIGTERM, deregisters', async () => {
    const runner = await runners.start(
      {
        GITHUB_URL: repoUrl,
        GITHUB_TOKEN_FILE: '/run/secrets/github_token',
        RUNNER_NAME: 'long-lived-1',
        RUNNER_EPHEMERAL: 'false',
        RUNNER_WORKDIR: '/tmp/work',
      },
      { secrets: { github_token: PAT } },
    );
    const config = await runner.waitForCall('config.sh');
    expect(config.args).not.toContain('--ephemeral');
    expect(config.args).toEqual(expect.arrayContaining(['--name', 'long-lived-1']));
    expect(config.args).toEqual(expect.arrayContaining(['--work', '/tmp/work']));
    expect(config.env.ACTIONS_RUNNER_INPUT_TOKEN).toBe(tokensOf('registration').at(-1));
    expectNoCredentials(await runner.waitForCall('run.sh'), [PAT]);
    expect(runnersNamed('long-lived-1')).toEqual([expect.objectContaining({ ephemeral: false })]);

    // Stopped once the listener is up: a SIGINT before it would end it without a graceful stop.
    await runner.waitForCall('listener');
    await runner.container.stop({ t: 20 });
    expect(await runner.exited()).toBe(0);
    const calls = await runner.calls();
    // SIGTERM went on to run.sh (a graceful stop), then the registration was removed.
    expect(calls.map((call) => call.cmd)).toEqual([
      'config.sh',
      'run.sh',
      'listener',
      'listener:signal',
      'config.sh',
    ]);
    expect(calls[4]?.args).toEqual(['remove']);
    expect(calls[4]?.env.ACTIONS_RUNNER_INPUT_TOKEN).toBe(tokensOf('remove').at(-1));
    expect(runnersNamed('long-lived-1')).toEqual([]);
    const requests = fake.requests().map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(requests).toEqual(
      expect.arrayContaining([
        'POST /api/v3/repos/octocat/hello-world/actions/runners/registration-token 201',
        'POST /api/v3/repos/octocat/hello-world/actions/runners/remove-token 201',
      ]),
    );
    const logs = await runner.logs();
    for (const secret of [PAT, ...tokensOf('registration'), ...tokensOf('remove')])
      expect(logs).not.toContain(secret);
    expect(logs).toContain('runner-entrypoint: runner deregistered');
  });

  it('on a SIGTERM during registration, finishes it and removes the runner at once', async () => {
    const runner = await runners.start(
      {
        GITHUB_URL: repoUrl,
        GITHUB_TOKEN_FILE: '/run/secrets/pat',
        RUNNER_NAME: 'stopped-early',
        STANDIN_CONFIG_SECONDS: '2',
      },
      { secrets: { pat: PAT } },
    );
    await runner.waitForCall('config.sh');
    await waitUntil(() => runnersNamed('stopped-early').length === 1, 10_000, 'registered');
    await runner.container.stop({ t: 20 });
    expect(await runner.exited()).toBe(0);
    const calls = await runner.calls();
    expect(calls.map((call) => [call.cmd, ...call.args.slice(0, 1)])).toEqual([
      ['config.sh', '--unattended'],
      ['config.sh', 'remove'],
    ]);
    expect(runnersNamed('stopped-early')).toEqual([]);
  });

  it('leaves nothing to deregister after an ephemeral runner took its job', async () => {
    const removeTokens = tokensOf('remove').length;
    const runner = await runners.start(
      { GITHUB_URL: repoUrl, GITHUB_TOKEN_FILE: '/run/secrets/pat', STANDIN_RUN_SECONDS: '1' },
      { secrets: { pat: PAT } },
    );
    expect(await runner.exited()).toBe(0);
    expect((await runner.calls()).map((call) => call.cmd)).toEqual([
      'config.sh',
      'run.sh',
      'listener',
    ]);
    expect(tokensOf('remove')).toHaveLength(removeTokens);
  });

  it('registers with an organization and its runner group, the seed way (GITHUB_TOKEN)', async () => {
    fake.addRepo({ owner: 'acme', name: 'widgets', org: true });
    const group = fake.addRunnerGroup('acme', 'builders');
    const answer = await callApi(fake, 'POST', '/orgs/acme/actions/runners/registration-token');
    const token = (answer.body as { token: string }).token;
    // The seed's GITHUB_TOKEN also took a registration token: one that is not a PAT is used as one.
    const runner = await runners.start({
      GITHUB_URL: `${fake.url}/acme`,
      GITHUB_TOKEN: token,
      RUNNER_NAME: 'org-runner',
      RUNNER_GROUP: 'builders',
    });
    const config = await runner.waitForCall('config.sh');
    expect(config.args).toEqual(expect.arrayContaining(['--url', `${fake.url}/acme`]));
    expect(config.args).toEqual(expect.arrayContaining(['--runnergroup', 'builders']));
    expectNoCredentials(await runner.waitForCall('run.sh'), [token]);
    expect(runnersNamed('org-runner')).toEqual([expect.objectContaining({ runnerGroupId: group })]);
    // Without a PAT there is no remove token: stopping says so and leaves the registration.
    await runner.waitForCall('listener');
    await runner.container.stop({ t: 20 });
    expect(await runner.exited()).toBe(0);
    expect(await runner.logs()).toContain('the runner stays registered until GitHub removes it');
  });

  it('fails with the reason, and without the token, when GitHub refuses the PAT', async () => {
    const wrong = 'ghp_notAValidTokenForTheFake000000000000';
    const runner = await runners.start(
      { GITHUB_URL: repoUrl, GITHUB_TOKEN_FILE: '/run/secrets/pat' },
      { secrets: { pat: wrong } },
    );
    expect(await runner.exited()).toBe(1);
    const logs = await runner.logs();
    expect(logs).toContain(
      'POST /repos/octocat/hello-world/actions/runners/registration-token answered 401: Bad credentials',
    );
    expect(logs).toContain('could not get a registration token with the PAT');
    expect(logs).not.toContain(wrong);
    expect(await runner.calls()).toEqual([]);
  });

  it('without a JIT config or GITHUB_URL, says what it needs and exits 1', async () => {
    const runner = await runners.start({});
    expect(await runner.exited()).toBe(1);
    expect(await runner.logs()).toContain('set ACTIONS_RUNNER_INPUT_JITCONFIG');
  });
});
