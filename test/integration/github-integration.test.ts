import { afterEach, describe, expect, it } from 'vitest';
import { generateTestAppKey } from '../support/fakes/fake-github/index.ts';
import { createHarness, SECRET, type Harness } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

let h: Harness | undefined;

afterEach(async (context) => {
  await h?.cleanup(context);
  h = undefined;
});

const completed = (harness: Harness, id: number) => harness.fake.job(id)?.status === 'completed';

type Health = {
  status: string;
  warnings: string[];
  repositories: { id: string; healthy: boolean; lastError?: string; github: { error?: string } }[];
};
const health = async (harness: Harness): Promise<Health> =>
  (await (await fetch(`${harness.controller?.url}/health`)).json()) as Health;

describe('GitHub integration', () => {
  it('authenticates as a GitHub App, finding its installation, and never prints the key or tokens', async () => {
    const key = generateTestAppKey();
    h = await createHarness({
      apps: [
        {
          id: 4242,
          publicKeyPem: key.publicKeyPem,
          installations: [{ id: 77, account: 'octocat' }],
        },
      ],
    });
    const keyFile = h.writeFile('app-key.pem', key.privateKeyPem);
    await h.start({
      GITHUB_TOKEN: '',
      GITHUB_APP_ID: '4242',
      GITHUB_APP_PRIVATE_KEY_FILE: keyFile,
    });
    const job = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 300 });
    const harness = h;
    await waitUntil(() => completed(harness, job.id), 20_000, 'job completed as an App');
    const output = h.controller?.output() ?? '';
    expect(output).not.toContain('PRIVATE KEY');
    for (const token of h.fake.installationTokens()) expect(output).not.toContain(token.token);
    expect(
      h.fake.requests().some((r) => r.path === '/repos/octocat/hello-world/installation'),
    ).toBe(true);
  });

  it('serves an organization: org runners in the named runner group, org webhook', async () => {
    h = await createHarness({ repo: { owner: 'acme', name: 'app', org: true } });
    const groupId = h.fake.addRunnerGroup('acme', 'builders');
    await h.start(
      {
        GITHUB_URL: 'https://github.com/acme',
        RUNNER_GROUP: 'Builders',
        WEBHOOK_HOST: h.url,
        WEBHOOK_SECRET: SECRET,
        RESYNC_INTERVAL_SECONDS: '5',
      },
      { manualHook: false },
    );
    const harness = h;
    await waitUntil(
      () => harness.fake.hooks().some((hook) => hook.origin === 'api'),
      15_000,
      'org hook created',
    );
    expect(h.fake.hooks().find((hook) => hook.origin === 'api')?.scope).toMatchObject({
      kind: 'org',
    });
    const job = await h.fake.queueJob({ labels: ['self-hosted', 'linux'], durationMs: 1_500 });
    await waitUntil(
      () => harness.fake.runners().some((runner) => runner.runnerGroupId === groupId),
      15_000,
      'an org runner in the builders group',
    );
    await waitUntil(() => completed(harness, job.id), 20_000, 'org job completed');
    // A job of another repository of the organization whose webhook never came: found by resync.
    h.fake.addRepo({ owner: 'acme', name: 'other', org: true });
    const silent = await h.fake.queueJob({
      repo: 'acme/other',
      labels: ['self-hosted'],
      durationMs: 300,
      sendWebhook: false,
    });
    await waitUntil(() => completed(harness, silent.id), 20_000, 'org job found by resync');
    const jit = h.fake
      .requests()
      .filter((r) => r.path === '/orgs/acme/actions/runners/generate-jitconfig');
    expect(jit).toHaveLength(2);
    expect(jit.every((r) => r.status === 201)).toBe(true);
  });

  it('talks to GitHub Enterprise Server under /api/v3', async () => {
    h = await createHarness({ pathPrefix: '/api/v3' });
    await h.start({ GITHUB_URL: 'https://ghe.example.com/octocat/hello-world' });
    const job = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 300 });
    const harness = h;
    await waitUntil(() => completed(harness, job.id), 20_000, 'GHES job completed');
  });

  it('marks only the misconfigured repositories unhealthy, naming what is missing', async () => {
    const key = generateTestAppKey();
    h = await createHarness({
      tokens: ['test-token', { token: 'no-runner-rights', deny: ['runners'] }],
      apps: [
        {
          id: 9,
          publicKeyPem: key.publicKeyPem,
          installations: [{ id: 5, account: 'someone-else' }],
        },
      ],
    });
    const fake = h.fake;
    fake.addRepo({ owner: 'octocat', name: 'weak' });
    fake.addRepo({ owner: 'octocat', name: 'app' });
    fake.addRepo({ owner: 'acme', name: 'tools', org: true });
    const keyFile = h.writeFile('app-key.pem', key.privateKeyPem);
    const base = 'https://github.com';
    const controller = await h.startRepos(
      {
        repositories: [
          { id: 'good', github_url: `${base}/octocat/hello-world`, github_token: 'test-token' },
          { id: 'weak', github_url: `${base}/octocat/weak`, github_token: 'no-runner-rights' },
          {
            id: 'app',
            github_url: `${base}/octocat/app`,
            github_app_id: 9,
            github_app_private_key_file: keyFile,
          },
          {
            id: 'org',
            github_url: `${base}/acme`,
            github_token: 'test-token',
            runner_group: 'nope',
          },
        ],
        defaults: { webhook_secret: SECRET, runner_labels: 'self-hosted,linux' },
      },
      {
        'octocat/hello-world': 'good',
        'octocat/weak': 'weak',
        'octocat/app': 'app',
        'acme/tools': 'org',
      },
      { RESYNC_INTERVAL_SECONDS: '5' },
    );
    const good = await fake.queueJob({ labels: ['self-hosted'], durationMs: 300 });
    for (const repo of ['octocat/weak', 'octocat/app', 'acme/tools'])
      await fake.queueJob({ repo, labels: ['self-hosted'] });
    const harness = h;
    await waitUntil(() => completed(harness, good.id), 20_000, 'the healthy repository is served');
    const report = await waitUntil(
      async () => {
        const r = await health(harness);
        return r.repositories.filter((repo) => !repo.healthy).length === 3 ? r : undefined;
      },
      30_000,
      'three unhealthy repositories',
    );
    expect(report.repositories.find((repo) => repo.id === 'good')?.healthy).toBe(true);
    const text = report.warnings.join('\n');
    expect(text).toMatch(/weak: .*GitHub answered 403 .*Administration: read and write/);
    expect(text).toMatch(/app: .*GitHub App 9 is not installed on octocat\/app/);
    expect(text).toMatch(/org: .*runner group "nope" not found/);
    expect(report.status).toBe('degraded');
    expect(controller.output()).toMatch(/Administration: read and write/);
  });
});
