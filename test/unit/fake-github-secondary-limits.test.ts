import { createSign } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { callApi } from '../support/fakes/fake-github/call-api.ts';
import {
  generateTestAppKey,
  startFakeGitHub,
  type FakeGitHub,
  type FakeGitHubOptions,
} from '../support/fakes/fake-github/index.ts';

const repoPath = '/repos/octocat/hello-world';
const runnersPath = `${repoPath}/actions/runners`;
const jitPath = `${runnersPath}/generate-jitconfig`;
const other = 'other-token';
let fake: FakeGitHub | undefined;
let names = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** expect's string matcher, typed for use inside object literals. */
const text = (pattern: string | RegExp): unknown =>
  typeof pattern === 'string' ? expect.stringContaining(pattern) : expect.stringMatching(pattern);

async function start(options: FakeGitHubOptions): Promise<FakeGitHub> {
  fake = await startFakeGitHub({ tokens: ['test-token', other], ...options });
  return fake;
}

afterEach(async () => {
  if (!fake) return;
  expect(fake.contractViolations).toEqual([]);
  await fake.close();
  fake = undefined;
});

const get = (f: FakeGitHub, token?: string) =>
  callApi(f, 'GET', runnersPath, token === undefined ? {} : { token });
const register = (f: FakeGitHub, token?: string) => {
  names += 1;
  const body = { name: `runner-${names}`, runner_group_id: 1, labels: ['self-hosted'] };
  return callApi(f, 'POST', jitPath, { body, ...(token === undefined ? {} : { token }) });
};

/** GitHub's secondary-limit answer: status, retry-after, message, primary quota untouched. */
function expectSecondaryLimit(
  answer: Awaited<ReturnType<typeof callApi>>,
  remainingBefore: string | null,
) {
  expect(answer.status).toBe(403);
  expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(answer.body).toMatchObject({
    message: text(/^You have exceeded a secondary rate limit/),
    documentation_url: text('#about-secondary-rate-limits'),
  });
  expect(answer.headers.get('x-ratelimit-remaining')).toBe(remainingBefore);
}

describe('fake GitHub secondary rate limits over HTTP', () => {
  it('answers nothing as over a limit at GitHub figures under them', async () => {
    const f = await start({ secondaryLimits: true });
    const reads = Array.from({ length: 60 }, () => get(f));
    const writes = Array.from({ length: 20 }, () => register(f));
    const answers = await Promise.all([...reads, ...writes]);
    expect(answers.filter((a) => a.status >= 400)).toEqual([]);
    expect(f.secondaryLimitAnswers().count).toBe(0);
    const usage = f.apiUsageSummary()['test-token'];
    expect(usage).toMatchObject({
      requests: 80,
      points: 60 + 20 * 5,
      writes: 20,
      contentGenerating: 20,
      byMethod: { GET: 60, POST: 20 },
      secondaryLimited: 0,
    });
    expect(usage?.peak60s.points).toBe(160);
  });

  it('refuses the request beyond the points of a minute, on that token only', async () => {
    const f = await start({ secondaryLimits: { pointsPerMinute: 10 } });
    let last = await register(f);
    for (let i = 0; i < 5; i += 1) last = await get(f);
    expect(last.status).toBe(200);
    const refused = await get(f);
    expectSecondaryLimit(refused, last.headers.get('x-ratelimit-remaining'));
    // The first request leaves the window a minute after it was made.
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect((await get(f, other)).status).toBe(200);
    expect((await register(f)).status).toBe(403);
    expect(f.secondaryLimitAnswers()).toMatchObject({
      count: 2,
      byCredential: { 'test-token': 2 },
      byRoute: {
        'GET /repos/{owner}/{repo}/actions/runners': 1,
        'POST /repos/{owner}/{repo}/actions/runners/generate-jitconfig': 1,
      },
      answers: [{ reason: 'points' }, { reason: 'retry-after' }],
    });
    expect(f.apiUsageSummary()['test-token']).toMatchObject({ requests: 8, secondaryLimited: 2 });
  });

  it('refuses content creation beyond a minute and an hour; DELETE is not content', async () => {
    const f = await start({ secondaryLimits: { contentPerMinute: 2 } });
    expect((await register(f)).status).toBe(201);
    const id = f.runners()[0]?.id;
    expect((await callApi(f, 'DELETE', `${runnersPath}/${id}`)).status).toBe(204);
    expect((await register(f)).status).toBe(201);
    const refused = await register(f);
    expectSecondaryLimit(refused, '4997');
    expect(refused.body).toMatchObject({
      message: text('temporarily blocked from content creation'),
    });
    expect((await register(f, other)).status).toBe(201);
    expect(f.secondaryLimitAnswers().answers).toMatchObject([{ reason: 'content-minute' }]);
    await f.close();

    const hourly = await start({ secondaryLimits: { contentPerHour: 1 } });
    expect((await register(hourly)).status).toBe(201);
    const overHour = await register(hourly);
    expect(overHour.status).toBe(403);
    expect(Number(overHour.headers.get('retry-after'))).toBeGreaterThan(3590);
    expect(hourly.secondaryLimitAnswers().answers).toMatchObject([{ reason: 'content-hour' }]);
  });

  it('refuses a request beyond the concurrent ones, and admits again after retry-after', async () => {
    const f = await start({ secondaryLimits: { concurrent: 2, retryAfterSeconds: 1 } });
    f.failAlways({ status: 500, hang: true, match: /^GET .*\/actions\/runs$/ });
    const aborts = [new AbortController(), new AbortController()];
    const hanging = aborts.map((abort) =>
      fetch(`${f.apiUrl}${repoPath}/actions/runs`, {
        headers: { authorization: `Bearer ${f.token}` },
        signal: abort.signal,
      }).catch(() => undefined),
    );
    await f.waitFor(() => f.apiUsage().filter((e) => e.end === undefined).length === 2);
    const refused = await get(f);
    expectSecondaryLimit(refused, '5000');
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await get(f, other)).status).toBe(200);
    for (const abort of aborts) abort.abort();
    await Promise.all(hanging);
    f.clearFaults();
    await f.waitFor(() => f.apiUsage().every((e) => e.end !== undefined));
    // Still within the penalty of the refusal.
    expect((await get(f)).status).toBe(403);
    await sleep(1100);
    expect((await get(f)).status).toBe(200);
    expect(f.secondaryLimitAnswers().answers.map((a) => a.reason)).toEqual([
      'concurrent',
      'retry-after',
    ]);
    expect(f.apiUsageSummary()['test-token']?.maxConcurrent).toBe(3);
  });

  it('forces a limit on one credential for retry-after seconds, also with the mode off', async () => {
    const f = await start({});
    f.forceSecondaryLimit({ retryAfterSeconds: 1 });
    const refused = await get(f);
    expectSecondaryLimit(refused, '5000');
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await register(f)).status).toBe(403);
    expect((await get(f, other)).status).toBe(200);
    await sleep(1050);
    expect((await get(f)).status).toBe(200);
    f.forceSecondaryLimit({ credential: other, retryAfterSeconds: 5 });
    expect((await get(f, other)).headers.get('retry-after')).toMatch(/^[45]$/);
    expect(f.secondaryLimitAnswers()).toMatchObject({
      count: 3,
      byCredential: { 'test-token': 2, [other]: 1 },
    });
    expect(f.secondaryLimitAnswers().answers.every((a) => a.reason === 'forced')).toBe(true);
  });

  it('counts every token of an App installation on the installation', async () => {
    const key = generateTestAppKey();
    const app = {
      id: 4242,
      publicKeyPem: key.publicKeyPem,
      installations: [{ id: 11, account: 'octocat' }],
    };
    const f = await start({ apps: [app], secondaryLimits: { pointsPerMinute: 10 } });
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${part({ alg: 'RS256' })}.${part({ iss: app.id, iat: now - 30, exp: now + 300 })}`;
    const signature = createSign('RSA-SHA256')
      .update(unsigned)
      .sign(key.privateKeyPem, 'base64url');
    const installationToken = async () => {
      const created = await callApi(f, 'POST', '/app/installations/11/access_tokens', {
        token: `${unsigned}.${signature}`,
      });
      expect(created.status).toBe(201);
      return (created.body as { token: string }).token;
    };
    const [first, second] = [await installationToken(), await installationToken()];
    // Two POSTs: the app's 10 points; ten GETs: the installation's, whichever token.
    for (let i = 0; i < 10; i += 1) expect((await get(f, i % 2 ? first : second)).status).toBe(200);
    expect((await get(f, first)).status).toBe(403);
    expect((await get(f)).status).toBe(200);
    expect(f.secondaryLimitAnswers().byCredential).toEqual({ 'installation:11': 1 });
    const usage = f.apiUsageSummary();
    expect(usage['app:4242']).toMatchObject({ requests: 2, points: 10 });
    expect(usage['installation:11']).toMatchObject({ requests: 11, secondaryLimited: 1 });
  });

  it('keeps faults working; a request that met a fault still counts', async () => {
    const f = await start({ secondaryLimits: { pointsPerMinute: 2 } });
    f.failNext({ status: 502, match: /runners/ });
    expect((await get(f)).status).toBe(502);
    expect((await get(f)).status).toBe(200);
    expect((await get(f)).status).toBe(403);
    expect(f.apiUsage().map((e) => [e.status, e.secondaryLimited])).toEqual([
      [502, false],
      [200, false],
      [403, true],
    ]);
  });
});
