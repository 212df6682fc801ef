import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callApi } from '../support/fakes/fake-github/call-api.ts';
import { startFakeGitHub, type FakeGitHub } from '../support/fakes/fake-github/index.ts';
import {
  createOpenApiValidator,
  type OpenApiValidator,
} from '../support/fakes/openapi/openapi-validator.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/fakes/webhook-receiver.ts';

let openapi: OpenApiValidator;
let fake: FakeGitHub;
let receiver: WebhookReceiver;
const repoPath = '/repos/octocat/hello-world';
const orgPath = '/orgs/acme';
const jitBody = { name: 'runner-1', runner_group_id: 1, labels: ['self-hosted', 'linux'] };

beforeAll(() => {
  openapi = createOpenApiValidator();
}, 60_000);

beforeEach(async () => {
  receiver = await startWebhookReceiver();
  fake = await startFakeGitHub({ webhookTarget: { url: receiver.url, secret: 'shh' } });
  fake.addRepo({ owner: 'acme', name: 'widgets', org: true });
});

afterEach(async () => {
  await fake.settled();
  expect(fake.contractViolations).toEqual([]);
  await fake.close();
  await receiver.close();
});

async function expectConforms(method: string, path: string, template: string, body?: unknown) {
  const answer = await callApi(fake, method, path, body === undefined ? {} : { body });
  expect(openapi.validate(method, template, answer.status, answer.body)).toEqual([]);
  return answer;
}

describe('fake GitHub responses conform to the OpenAPI description', () => {
  it('answers runner endpoints as documented', async () => {
    const jit = await expectConforms(
      'POST',
      `${repoPath}/actions/runners/generate-jitconfig`,
      '/repos/{owner}/{repo}/actions/runners/generate-jitconfig',
      jitBody,
    );
    expect(jit.status).toBe(201);
    const duplicate = await expectConforms(
      'POST',
      `${repoPath}/actions/runners/generate-jitconfig`,
      '/repos/{owner}/{repo}/actions/runners/generate-jitconfig',
      jitBody,
    );
    expect(duplicate.status).toBe(409);
    const orgJit = await expectConforms(
      'POST',
      `${orgPath}/actions/runners/generate-jitconfig`,
      '/orgs/{org}/actions/runners/generate-jitconfig',
      { ...jitBody, name: 'org-runner' },
    );
    expect(orgJit.status).toBe(201);
    const list = await expectConforms(
      'GET',
      `${repoPath}/actions/runners`,
      '/repos/{owner}/{repo}/actions/runners',
    );
    expect(list.body).toMatchObject({ total_count: 1, runners: [{ name: 'runner-1' }] });
    await expectConforms('GET', `${orgPath}/actions/runners`, '/orgs/{org}/actions/runners');
    await expectConforms(
      'GET',
      `${repoPath}/actions/runners/1`,
      '/repos/{owner}/{repo}/actions/runners/{runner_id}',
    );
    await expectConforms(
      'GET',
      `${orgPath}/actions/runner-groups`,
      '/orgs/{org}/actions/runner-groups',
    );
    await expectConforms('GET', '/rate_limit', '/rate_limit');
  });

  it('answers workflow runs and jobs as documented', async () => {
    const job = await fake.queueJob({ labels: ['self-hosted'] });
    const runs = await expectConforms(
      'GET',
      `${repoPath}/actions/runs?status=queued`,
      '/repos/{owner}/{repo}/actions/runs',
    );
    expect(runs.body).toMatchObject({ total_count: 1, workflow_runs: [{ id: job.runId }] });
    const jobs = await expectConforms(
      'GET',
      `${repoPath}/actions/runs/${job.runId}/jobs`,
      '/repos/{owner}/{repo}/actions/runs/{run_id}/jobs',
    );
    expect(jobs.body).toMatchObject({
      jobs: [{ id: job.id, status: 'queued', runner_name: null }],
    });
  });

  it('answers hooks and deliveries as documented', async () => {
    const hookBody = { config: { url: receiver.url, content_type: 'json', secret: 'x' } };
    const created = await expectConforms(
      'POST',
      `${repoPath}/hooks`,
      '/repos/{owner}/{repo}/hooks',
      { ...hookBody, events: ['workflow_job'] },
    );
    expect(created.status).toBe(201);
    await expectConforms('POST', `${orgPath}/hooks`, '/orgs/{org}/hooks', {
      ...hookBody,
      name: 'web',
    });
    await expectConforms('GET', `${repoPath}/hooks`, '/repos/{owner}/{repo}/hooks');
    await expectConforms('GET', `${orgPath}/hooks`, '/orgs/{org}/hooks');
    await fake.settled();
    const id = (created.body as { id: number }).id;
    const deliveries = await expectConforms(
      'GET',
      `${repoPath}/hooks/${id}/deliveries`,
      '/repos/{owner}/{repo}/hooks/{hook_id}/deliveries',
    );
    const [ping] = deliveries.body as { id: number; event: string }[];
    expect(ping?.event).toBe('ping');
    await expectConforms(
      'GET',
      `${repoPath}/hooks/${id}/deliveries/${ping?.id}`,
      '/repos/{owner}/{repo}/hooks/{hook_id}/deliveries/{delivery_id}',
    );
  });

  it('answers errors with GitHub error bodies', async () => {
    const missing = await expectConforms(
      'GET',
      '/repos/nobody/nothing/hooks',
      '/repos/{owner}/{repo}/hooks',
    );
    expect(missing.status).toBe(404);
    const unauthorized = await callApi(fake, 'GET', `${repoPath}/actions/runners`, {
      token: 'wrong',
    });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.body).toMatchObject({ message: 'Bad credentials' });
    const anonymous = await callApi(fake, 'GET', `${repoPath}/hooks`, { token: null });
    expect(anonymous.status).toBe(401);
  });
});

describe('fake GitHub behaviour', () => {
  it('answers 304 to a matching If-None-Match without using quota', async () => {
    await fake.queueJob({ labels: ['self-hosted'] });
    const first = await callApi(fake, 'GET', `${repoPath}/actions/runs?status=queued`);
    const etag = first.headers.get('etag') ?? '';
    expect(etag).not.toBe('');
    const remaining = first.headers.get('x-ratelimit-remaining');
    const again = await callApi(fake, 'GET', `${repoPath}/actions/runs?status=queued`, {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
    expect(again.headers.get('x-ratelimit-remaining')).toBe(remaining);
    expect(again.headers.get('x-ratelimit-resource')).toBe('core');
    await fake.queueJob({ labels: ['self-hosted'] });
    const changed = await callApi(fake, 'GET', `${repoPath}/actions/runs?status=queued`, {
      headers: { 'if-none-match': etag },
    });
    expect(changed.status).toBe(200);
    expect(Number(changed.headers.get('x-ratelimit-remaining'))).toBe(Number(remaining) - 1);
  });

  it('records requests that match no route', async () => {
    expect(fake.unexpectedRequests).toEqual([]);
    const answer = await callApi(fake, 'GET', `${repoPath}/actions/secrets`);
    expect(answer.status).toBe(404);
    expect(fake.unexpectedRequests).toMatchObject([
      { method: 'GET', path: `${repoPath}/actions/secrets` },
    ]);
  });

  it('paginates runners with a Link header', async () => {
    for (const name of ['a', 'b', 'c']) {
      await callApi(fake, 'POST', `${repoPath}/actions/runners/generate-jitconfig`, {
        body: { ...jitBody, name },
      });
    }
    const page = await callApi(fake, 'GET', `${repoPath}/actions/runners?per_page=2`);
    expect(page.body).toMatchObject({ total_count: 3, runners: [{ name: 'a' }, { name: 'b' }] });
    expect(page.headers.get('link')).toContain('page=2>; rel="next"');
  });

  it('injects faults and rate limiting', async () => {
    fake.failNext({ status: 429, headers: { 'retry-after': '1' }, match: /runners/ });
    const limited = await callApi(fake, 'GET', `${repoPath}/actions/runners`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((await callApi(fake, 'GET', `${repoPath}/actions/runners`)).status).toBe(200);
    fake.exhaustRateLimit(30);
    const exhausted = await callApi(fake, 'GET', `${repoPath}/actions/runners`);
    expect(exhausted.status).toBe(403);
    expect(exhausted.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(exhausted.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    fake.resetRateLimit();
    fake.failAlways({ status: 500 });
    expect((await callApi(fake, 'GET', `${repoPath}/actions/runners`)).status).toBe(500);
    fake.clearFaults();
    expect((await callApi(fake, 'GET', `${repoPath}/actions/runners`)).status).toBe(200);
  });
});
