import { sign } from '@octokit/webhooks-methods';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../controller/src/config/load-config.ts';
import { logOptions } from '../../controller/src/log/log-options.ts';
import { JobBook } from '../../controller/src/jobs/job-book.ts';
import { UnservedJobs } from '../../controller/src/jobs/unserved-jobs.ts';
import { testConfig } from '../support/fixtures/config-fixtures.ts';
import { buildIntakeApp } from '../support/fakes/intake-app.ts';
import { workflowJobExample } from '../support/fixtures/webhook-examples.ts';

const SECRET = 'test-secret';
const REPO = 'lineville/elastic-machines-testing';

function setup(env: Record<string, string> = {}, log = pino({ level: 'silent' })) {
  const result = loadConfig({
    env: {
      GITHUB_URL: `https://github.com/${REPO}`,
      GITHUB_TOKEN: 't',
      RUNNER_LABELS: 'self-hosted,linux,k8s',
      WEBHOOK_BODY_LIMIT_BYTES: '65536',
      ...env,
    },
    readFile: () => '',
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const { repos, pools } = result.config;
  const jobs = new JobBook();
  let changes = 0;
  const app = buildIntakeApp(
    {
      repos,
      secretOf: () => SECRET,
      jobs,
      onChange: () => (changes += 1),
      log,
      now: () => 1,
    },
    { bodyLimit: result.config.webhookBodyLimitBytes },
  );
  const post = async (
    body: string,
    headers: Record<string, string> = {},
    { url = '/webhook', secret = SECRET }: { url?: string; secret?: string } = {},
  ) =>
    app.inject({
      method: 'POST',
      url,
      payload: body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'workflow_job',
        'x-github-delivery': crypto.randomUUID(),
        'x-hub-signature-256': await sign(secret, body),
        ...headers,
      },
    });
  return { app, jobs, post, poolId: pools[0]?.id ?? '', changes: () => changes };
}

const queued = () => JSON.stringify(workflowJobExample('queued', REPO));
/** A queued delivery whose workflow_job has these fields replaced (labels the pool serves). */
const withJob = (fields: Record<string, unknown>) => {
  const example = workflowJobExample('queued', REPO);
  Object.assign(example.workflow_job as Record<string, unknown>, fields);
  return JSON.stringify(example);
};

describe('webhook intake', () => {
  it('logs a request once, when it ended: booked, or its status with the request', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = {
      write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
    };
    const t = setup({}, pino({ level: 'info' }, stream));
    await t.post(queued());
    expect(lines.map((line) => line.msg)).toEqual(['job event booked']);
    lines.length = 0;
    await t.post(queued(), {}, { secret: 'wrong' });
    expect(lines.map((line) => line.msg)).toEqual(['request completed']);
    expect(lines[0]).toMatchObject({
      request: { method: 'POST', url: '/webhook' },
      status: 401,
    });
  });

  it('logs the method, URL and address of a refused delivery through the redacting logger', async () => {
    // The controller's own log options: redaction used to copy the request (its signature
    // header), and the copy lost method, URL and address: {"req":{},"res":{"statusCode":400}}.
    const lines: Record<string, unknown>[] = [];
    const stream = {
      write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
    };
    const t = setup({}, pino(logOptions('info'), stream));
    expect((await t.post('{"action": "queued",')).statusCode).toBe(400);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'request completed',
      request: { method: 'POST', url: '/webhook', address: '127.0.0.1' },
      status: 400,
    });
  });

  describe("a hook with GitHub's default content type (application/x-www-form-urlencoded)", () => {
    const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
    const formOf = (json: string) => `payload=${encodeURIComponent(json)}`;

    it('books a signed form delivery: the signature covers the form body as sent', async () => {
      const t = setup();
      const body = formOf(queued());
      const response = await t.post(body, {
        ...FORM,
        'x-hub-signature-256': await sign(SECRET, body),
      });
      expect(response.statusCode).toBe(202);
      expect(t.jobs.waiting()).toHaveLength(1);
    });

    it('answers 401 for a form delivery without a signature, or signed over the JSON alone', async () => {
      const t = setup();
      const json = queued();
      const unsigned = await t.post(formOf(json), { ...FORM, 'x-hub-signature-256': '' });
      expect(unsigned.statusCode).toBe(401);
      const signedJson = await t.post(formOf(json), {
        ...FORM,
        'x-hub-signature-256': await sign(SECRET, json),
      });
      expect(signedJson.statusCode).toBe(401);
      expect(t.jobs.all()).toHaveLength(0);
    });

    it('answers 400 for a signed form without a payload field', async () => {
      const t = setup();
      const body = 'other=1';
      const response = await t.post(body, {
        ...FORM,
        'x-hub-signature-256': await sign(SECRET, body),
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ message: 'form body has no payload field' });
    });
  });

  it('books a signed queued delivery and answers 202', async () => {
    const t = setup();
    const response = await t.post(queued());
    expect(response.statusCode).toBe(202);
    expect(t.jobs.waiting()).toHaveLength(1);
    expect(t.changes()).toBe(1);
  });

  it('routes /webhook/:repoId and answers 404 for an unknown id', async () => {
    const t = setup();
    expect((await t.post(queued(), {}, { url: `/webhook/${t.poolId}` })).statusCode).toBe(202);
    const unknown = await t.post(queued(), {}, { url: '/webhook/nope' });
    expect(unknown.statusCode).toBe(404);
  });

  it.each([
    { case: 'wrong secret', headers: {}, secret: 'other' },
    { case: 'missing signature', headers: { 'x-hub-signature-256': '' }, secret: SECRET },
    { case: 'sha1 signature only', headers: { 'x-hub-signature-256': 'sha1=abc' }, secret: SECRET },
  ])('answers 401 for a $case and books nothing', async ({ headers, secret }) => {
    const t = setup();
    const response = await t.post(queued(), headers, { secret });
    expect(response.statusCode).toBe(401);
    expect(t.jobs.all()).toHaveLength(0);
    expect(t.changes()).toBe(0);
  });

  it('answers 401 when the body was changed after signing', async () => {
    const t = setup();
    const body = queued();
    const signature = await sign(SECRET, body);
    const response = await t.post(body.replace('queued', 'completed'), {
      'x-hub-signature-256': signature,
    });
    expect(response.statusCode).toBe(401);
    expect(t.jobs.all()).toHaveLength(0);
  });

  it.each([
    { case: 'malformed JSON', body: '{"action": "queued",' },
    {
      case: 'a payload without workflow_job',
      body: JSON.stringify({ action: 'queued', repository: {} }),
    },
    {
      case: 'a job id that is not a number',
      body: queued().replace(/"id":\s*\d+/, '"id":"x"'),
    },
    { case: 'a negative job id', body: withJob({ id: -5 }) },
    { case: 'a job id of zero', body: withJob({ id: 0 }) },
    { case: 'a fractional run id', body: withJob({ run_id: 1.5 }) },
  ])('answers 400 for $case and books nothing', async ({ body }) => {
    const t = setup();
    const response = await t.post(body);
    expect(response.statusCode).toBe(400);
    expect(t.jobs.all()).toHaveLength(0);
  });

  it('answers 413 for a body over the limit and books nothing', async () => {
    const t = setup();
    const response = await t.post(JSON.stringify({ pad: 'x'.repeat(70_000) }));
    expect(response.statusCode).toBe(413);
    expect(t.jobs.all()).toHaveLength(0);
  });

  it('answers ping with 200 and other events with 202, starting nothing', async () => {
    const t = setup();
    expect((await t.post('{"zen":"hi"}', { 'x-github-event': 'ping' })).statusCode).toBe(200);
    expect((await t.post('{"action":"opened"}', { 'x-github-event': 'issues' })).statusCode).toBe(
      202,
    );
    expect(t.changes()).toBe(0);
  });

  it('does not serve jobs for GitHub-hosted labels', async () => {
    const t = setup({
      GITHUB_URL: 'https://github.com/Codertocat/Hello-World',
      RUNNER_LABELS: 'self-hosted,linux',
    });
    const body = JSON.stringify(workflowJobExample('queued', 'Codertocat/Hello-World'));
    const response = await t.post(body);
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toMatchObject({ result: 'unserved' });
    expect(t.jobs.all()).toHaveLength(0);
  });

  it('ignores deliveries for a repository the endpoint does not serve', async () => {
    const t = setup({ GITHUB_URL: 'https://github.com/someone/else' });
    const response = await t.post(queued());
    expect(JSON.parse(response.body)).toMatchObject({ result: 'ignored' });
    expect(t.jobs.all()).toHaveLength(0);
  });

  it('books a redelivery or a repeated state only once', async () => {
    const t = setup();
    const body = queued();
    const delivery = crypto.randomUUID();
    expect((await t.post(body, { 'x-github-delivery': delivery })).statusCode).toBe(202);
    const again = await t.post(body, { 'x-github-delivery': delivery });
    expect(JSON.parse(again.body)).toMatchObject({ result: 'duplicate' });
    const sameState = await t.post(body);
    expect(JSON.parse(sameState.body)).toMatchObject({ result: 'duplicate' });
    expect(t.changes()).toBe(1);
  });

  it('never moves a job back to waiting', async () => {
    const t = setup();
    const example = workflowJobExample('queued', REPO);
    const job = example.workflow_job as { runner_name: string | null };
    job.runner_name = 'runner-1';
    await t.post(JSON.stringify({ ...example, action: 'in_progress' }));
    await t.post(JSON.stringify(example));
    expect(t.jobs.waiting()).toHaveLength(0);
    expect(t.jobs.all()[0]).toMatchObject({ state: 'in_progress', runnerName: 'runner-1' });
  });
});

describe('webhook intake with several pools in one repository', () => {
  function setupPools(pools: unknown[]) {
    const config = testConfig(
      { REPOS_CONFIG_FILE: '/repos.json' },
      {
        '/repos.json': JSON.stringify({
          repositories: [
            {
              id: 'app',
              github_url: `https://github.com/${REPO}`,
              github_token: 't',
              webhook_secret: SECRET,
              pools,
            },
          ],
        }),
      },
    );
    const jobs = new JobBook();
    const unserved = new UnservedJobs();
    const app = buildIntakeApp(
      {
        repos: config.repos,
        secretOf: () => SECRET,
        jobs,
        unserved,
        onChange: () => undefined,
        log: pino({ level: 'silent' }),
        now: () => 1,
      },
      { bodyLimit: config.webhookBodyLimitBytes },
    );
    const post = async (labels: string[], id: number) => {
      const example = workflowJobExample('queued', REPO);
      Object.assign(example.workflow_job as Record<string, unknown>, { labels, id });
      const body = JSON.stringify(example);
      return app.inject({
        method: 'POST',
        url: '/webhook',
        payload: body,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'workflow_job',
          'x-github-delivery': crypto.randomUUID(),
          'x-hub-signature-256': await sign(SECRET, body),
        },
      });
    };
    return { jobs, unserved, post };
  }

  it('sends each job through the one webhook to the most specific pool that has all its labels', async () => {
    const t = setupPools([
      { id: 'x64-big', runner_labels: 'self-hosted,linux,x64,large' },
      { id: 'x64', runner_labels: 'self-hosted,linux,x64' },
      { id: 'x64-gpu', runner_labels: 'self-hosted,linux,x64,gpu' },
      { id: 'arm', runner_labels: 'self-hosted,linux,ARM64' },
    ]);
    await t.post(['self-hosted', 'linux', 'x64'], 1);
    await t.post(['self-hosted', 'arm64'], 2);
    await t.post(['self-hosted', 'large'], 3);
    expect(t.jobs.all().map((job) => [job.id, job.poolId, job.repoId])).toEqual([
      [1, 'app/x64', 'app'],
      [2, 'app/arm', 'app'],
      [3, 'app/x64-big', 'app'],
    ]);
  });

  it('sends a job that two pools serve equally well to the first declared', async () => {
    const t = setupPools([
      { id: 'fast', runner_labels: 'self-hosted,linux,fast' },
      { id: 'big', runner_labels: 'self-hosted,linux,big' },
    ]);
    await t.post(['self-hosted', 'linux'], 1);
    expect(t.jobs.all().map((job) => job.poolId)).toEqual(['app/fast']);
  });

  it('records a job no pool serves, with its labels, and forgets it once it moves on', async () => {
    const t = setupPools([{ id: 'x64', runner_labels: 'self-hosted,linux,x64' }]);
    const response = await t.post(['self-hosted', 'gpu'], 7);
    expect(JSON.parse(response.body)).toMatchObject({ result: 'unserved' });
    expect(t.jobs.all()).toHaveLength(0);
    expect(t.unserved.list()).toEqual([
      expect.objectContaining({ repoId: 'app', jobId: 7, labels: ['self-hosted', 'gpu'] }),
    ]);
  });
});
