import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { noLeftovers, sampleRunnerCount } from '../support/harness/docker-cleanup.ts';
import { startFakeActions, type FakeActions } from '../support/fakes/fake-actions/index.ts';
import { generateTestAppKey } from '../support/fakes/fake-github/index.ts';
import { createHarness, SECRET, type Harness } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

/*
 * Scale-set mode: a pool whose jobs come from GitHub's runner scale set protocol (the fake
 * Actions service), with no webhook at all; runners are real containers of the runner stub.
 */

const SCALE_SET = 'big-builders';
const CONFIG_URL = 'https://github.com/octocat/hello-world';

let h: Harness;
let actions: FakeActions;
const appKey = generateTestAppKey();

beforeEach(async () => {
  h = await createHarness({
    apps: [
      { id: 31, publicKeyPem: appKey.publicKeyPem, installations: [{ id: 9, account: 'octocat' }] },
    ],
  });
  actions = await startFakeActions({
    configUrls: [CONFIG_URL],
    // The fake GitHub checks the registration token before it lets this fake answer.
    acceptRegistrationToken: () => true,
    longPollMs: 1_000,
    sessionTimeoutMs: 5_000,
  });
  h.fake.useActionsService(actions.apiUrl);
});

afterEach(async (context) => {
  await h.cleanup(context);
  await actions.close();
  actions.assertClean();
});

const scaleSetEnv = (extra: Record<string, string> = {}) => ({
  JOB_SOURCE: 'scaleset',
  SCALE_SET_NAME: SCALE_SET,
  WEBHOOK_SECRET: '',
  ...extra,
});

const completed = () => actions.jobs().filter((job) => job.state === 'completed').length;

/** Every runner that took a job took exactly one, and no job ran twice. */
function oneJobPerRunner(): void {
  const byRunner = new Map<string, number>();
  for (const job of actions.jobs()) {
    if (!job.runner) continue;
    byRunner.set(job.runner.name, (byRunner.get(job.runner.name) ?? 0) + 1);
  }
  expect([...byRunner.values()].every((count) => count === 1)).toBe(true);
}

describe('a scale-set pool', () => {
  it('serves a burst with no webhook, within MAX_RUNNERS, never offering more than it can start', async () => {
    const controller = await h.start(scaleSetEnv({ MAX_RUNNERS: '5' }), { manualHook: false });
    await waitUntil(() => actions.sessions().some((s) => s.active), 15_000, 'a session');
    const sampler = sampleRunnerCount(h.controllerId, 25);
    const jobs = Array.from({ length: 20 }, () =>
      actions.queueJob({ scaleSet: SCALE_SET, durationMs: 1_000 }),
    );
    await waitUntil(() => completed() === jobs.length, 90_000, 'every job completed');
    const { max } = await sampler.stop();
    expect(max).toBeLessThanOrEqual(5);
    expect(max).toBeGreaterThanOrEqual(4);
    const capacities = actions
      .requests()
      .map((request) => request.capacity)
      .filter((capacity): capacity is number => capacity !== undefined);
    expect(capacities.length).toBeGreaterThan(0);
    expect(Math.max(...capacities)).toBeLessThanOrEqual(5);
    oneJobPerRunner();
    // No webhook was ever involved, and GitHub's REST API registered no runner.
    expect(h.fake.deliveries()).toHaveLength(0);
    expect(h.fake.requests().filter((r) => r.path.endsWith('/generate-jitconfig'))).toHaveLength(0);
    const health = (await (await fetch(`${controller.url}/health`)).json()) as {
      repositories: { pools: { scaleSet?: { state: string; assignedJobs: number } }[] }[];
    };
    expect(health.repositories[0]?.pools[0]?.scaleSet).toMatchObject({ state: 'listening' });
    await noLeftovers(h.controllerId);
  });

  it('loses nothing across kill -9: the old session is waited out, unacknowledged messages come again', async () => {
    const first = await h.start(scaleSetEnv({ MAX_RUNNERS: '4' }), { manualHook: false });
    await waitUntil(() => actions.sessions().some((s) => s.active), 15_000, 'a session');
    const jobs = Array.from({ length: 12 }, () =>
      actions.queueJob({ scaleSet: SCALE_SET, durationMs: 1_500 }),
    );
    await waitUntil(() => completed() >= 2, 60_000, 'the burst under way');
    await first.kill();
    await h.start(scaleSetEnv({ MAX_RUNNERS: '4' }), { manualHook: false });
    await waitUntil(
      () => completed() === jobs.length,
      120_000,
      'every job completed after the restart',
    );
    oneJobPerRunner();
    await noLeftovers(h.controllerId);
  });

  it('deletes its session on SIGTERM, so a successor need not wait', async () => {
    const controller = await h.start(scaleSetEnv(), { manualHook: false });
    await waitUntil(() => actions.sessions().some((s) => s.active), 15_000, 'a session');
    expect(await controller.stop('SIGTERM')).toBe(0);
    expect(actions.sessions().filter((s) => s.active)).toHaveLength(0);
    expect(controller.output()).not.toMatch(/Bearer|RemoteAuth|eyJ/);
  });

  it('works with a GitHub App: its installation token fetches the registration token', async () => {
    const controller = await h.start(
      scaleSetEnv({
        GITHUB_TOKEN: '',
        GITHUB_APP_ID: '31',
        GITHUB_APP_PRIVATE_KEY_FILE: h.writeFile('app.pem', appKey.privateKeyPem),
      }),
      { manualHook: false },
    );
    await waitUntil(() => actions.sessions().some((s) => s.active), 15_000, 'a session');
    const job = actions.queueJob({ scaleSet: SCALE_SET, durationMs: 300 });
    await waitUntil(
      () => actions.job(job.runnerRequestId)?.state === 'completed',
      30_000,
      'served',
    );
    const asApp = h.fake
      .requests()
      .filter((r) => r.path.endsWith('/actions/runners/registration-token'));
    expect(asApp.length).toBeGreaterThan(0);
    const output = controller.output();
    expect(output).not.toContain('PRIVATE KEY');
    for (const token of h.fake.installationTokens()) expect(output).not.toContain(token.token);
  });

  it('refreshes its session after a 401 from the queue and goes on serving', async () => {
    await h.start(scaleSetEnv(), { manualHook: false });
    await waitUntil(() => actions.sessions().some((s) => s.active), 15_000, 'a session');
    actions.expireMessageQueueTokens();
    const job = actions.queueJob({ scaleSet: SCALE_SET, durationMs: 300 });
    await waitUntil(
      () => actions.job(job.runnerRequestId)?.state === 'completed',
      30_000,
      'served',
    );
    expect(
      actions.requests().some((r) => r.method === 'PATCH' && r.path.includes('/sessions/')),
    ).toBe(true);
  });
});

describe('webhook and scale-set pools side by side', () => {
  it('share MAX_RUNNERS in one controller', async () => {
    await h.startRepos(
      {
        repositories: [
          {
            id: 'app',
            github_url: CONFIG_URL,
            github_token: h.fake.token,
            webhook_secret: SECRET,
            pools: [
              { id: 'hooks', runner_labels: 'self-hosted,linux', max_runners: 3 },
              { id: 'sets', job_source: 'scaleset', scale_set_name: SCALE_SET, max_runners: 3 },
            ],
          },
        ],
      },
      { 'octocat/hello-world': 'app' },
      { MAX_RUNNERS: '4' },
    );
    await waitUntil(() => actions.sessions().some((s) => s.active), 15_000, 'a session');
    const sampler = sampleRunnerCount(h.controllerId, 25);
    const hookJobs = await Promise.all(
      Array.from({ length: 6 }, () =>
        h.fake.queueJob({ labels: ['self-hosted', 'linux'], durationMs: 1_000 }),
      ),
    );
    const setJobs = Array.from({ length: 6 }, () =>
      actions.queueJob({ scaleSet: SCALE_SET, durationMs: 1_000 }),
    );
    await waitUntil(
      () =>
        hookJobs.every((job) => h.fake.job(job.id)?.status === 'completed') &&
        completed() === setJobs.length,
      120_000,
      'every job of both pools completed',
    );
    const { max, maxByRepo } = await sampler.stop();
    expect(max).toBeLessThanOrEqual(4);
    expect(maxByRepo.app).toBeLessThanOrEqual(4);
    await noLeftovers(h.controllerId);
  });
});
