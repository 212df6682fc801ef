import { verify } from '@octokit/webhooks-methods';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { callApi } from '../support/fakes/fake-github/call-api.ts';
import { startFakeGitHub, type FakeGitHub } from '../support/fakes/fake-github/index.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/fakes/webhook-receiver.ts';

let fake: FakeGitHub;
let receiver: WebhookReceiver;
const secret = 'It’s a Secret to Everybody';
const repoPath = '/repos/octocat/hello-world';

beforeEach(async () => {
  receiver = await startWebhookReceiver();
  fake = await startFakeGitHub({ webhookTarget: { url: receiver.url, secret } });
});

afterEach(async () => {
  await fake.settled();
  expect(fake.unexpectedRequests).toEqual([]);
  expect(fake.contractViolations).toEqual([]);
  await fake.close();
  await receiver.close();
});

const stub = (name: string, step: 'acquire' | 'complete') =>
  fetch(`${fake.url}/_stub/runners/${encodeURIComponent(name)}/${step}`, { method: 'POST' });

async function registerRunner(name: string, labels: string[]): Promise<string> {
  const answer = await callApi(fake, 'POST', `${repoPath}/actions/runners/generate-jitconfig`, {
    body: { name, runner_group_id: 1, labels },
  });
  const { encoded_jit_config } = answer.body as { encoded_jit_config: string };
  return Buffer.from(encoded_jit_config, 'base64').toString('utf8');
}

describe('webhooks sent by the fake', () => {
  it('signs the exact body and sends GitHub headers', async () => {
    const { id } = await fake.queueJob({ labels: ['self-hosted', 'Linux'] });
    const [webhook] = receiver.received;
    if (!webhook) throw new Error('no webhook received');
    const { headers, body } = webhook;
    expect(headers['content-type']).toBe('application/json');
    expect(headers['user-agent']).toMatch(/^GitHub-Hookshot\//);
    expect(headers['x-github-event']).toBe('workflow_job');
    expect(headers['x-github-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers['x-github-hook-installation-target-type']).toBe('repository');
    expect(headers['x-github-hook-installation-target-id']).toBe(String(fake.defaultRepo.id));
    const signature = String(headers['x-hub-signature-256']);
    expect(await verify(secret, body, signature)).toBe(true);
    const payload = JSON.parse(body) as Record<string, { [key: string]: unknown }>;
    expect(payload.action).toBe('queued');
    expect(payload.workflow_job).toMatchObject({ id, status: 'queued', runner_name: null });
    expect(payload.workflow_job?.labels).toEqual(['self-hosted', 'Linux']);
    expect(payload.repository).toMatchObject({ full_name: 'octocat/hello-world' });
    expect(payload.organization).toBeUndefined();
  });

  it('includes the organization for an organization repository', async () => {
    const repo = fake.addRepo({ owner: 'acme', name: 'widgets', org: true });
    await fake.queueJob({ repo, labels: ['self-hosted'] });
    const payload = JSON.parse(receiver.received[0]?.body ?? '{}') as Record<string, unknown>;
    expect(payload.organization).toMatchObject({ login: 'acme', id: repo.org?.id });
    expect(payload.repository).toMatchObject({ id: repo.id, owner: { login: 'acme' } });
  });

  it('redelivers with the same guid and records a failed delivery when dropped', async () => {
    fake.dropWebhooks(1);
    await fake.queueJob({ labels: ['self-hosted'] });
    expect(receiver.received).toHaveLength(0);
    const [failed] = fake.deliveries();
    expect(failed).toMatchObject({ statusCode: 502, redelivery: false });
    fake.dropWebhooks(0);
    const path = `${repoPath}/hooks/${failed?.hookId}/deliveries`;
    const listed = await callApi(fake, 'GET', `${path}?status=failure`);
    expect(listed.body).toMatchObject([{ id: failed?.id, status_code: 502 }]);
    const attempt = await callApi(fake, 'POST', `${path}/${failed?.id}/attempts`);
    expect(attempt.status).toBe(202);
    await fake.settled();
    expect(receiver.received[0]?.headers['x-github-delivery']).toBe(failed?.guid);
    expect(fake.deliveries()[1]).toMatchObject({ guid: failed?.guid, redelivery: true });
  });

  it('sends test-made webhooks with a chosen delivery id and signature', async () => {
    await fake.sendWebhook(
      'workflow_job',
      { action: 'queued' },
      {
        deliveryId: 'fixed-id',
        signatureOverride: 'sha256=bad',
      },
    );
    expect(receiver.received[0]?.headers['x-github-delivery']).toBe('fixed-id');
    expect(receiver.received[0]?.headers['x-hub-signature-256']).toBe('sha256=bad');
  });

  it('delivers to hooks created through the API instead of the default target', async () => {
    const other = await startWebhookReceiver();
    try {
      await callApi(fake, 'POST', `${repoPath}/hooks`, {
        body: { config: { url: other.url, content_type: 'json', secret: 'x' }, events: ['*'] },
      });
      await fake.settled();
      expect(other.received[0]?.headers['x-github-event']).toBe('ping');
      await fake.queueJob({ labels: ['self-hosted'] });
      expect(receiver.received).toHaveLength(0);
      expect(other.received[1]?.headers['x-github-event']).toBe('workflow_job');
      expect(
        await verify(
          'x',
          other.received[1]?.body ?? '',
          String(other.received[1]?.headers['x-hub-signature-256']),
        ),
      ).toBe(true);
    } finally {
      await other.close();
    }
  });
});

describe('runner stub protocol', () => {
  it('hands the oldest matching job to a runner, then completes it', async () => {
    const url = await registerRunner('r1', ['self-hosted', 'linux']);
    expect(url).toBe(`${fake.url}/_stub/runners/r1`);
    await fake.queueJob({ labels: ['self-hosted', 'gpu'] });
    const { id } = await fake.queueJob({ labels: ['self-hosted', 'Linux'], durationMs: 1500 });
    const acquired = await stub('r1', 'acquire');
    expect(acquired.status).toBe(200);
    expect(await acquired.text()).toBe('1.5');
    expect(fake.job(id)).toMatchObject({ status: 'in_progress', runnerName: 'r1' });
    expect(fake.runners()[0]).toMatchObject({ status: 'online', busy: true });
    const busyDelete = await callApi(fake, 'DELETE', `${repoPath}/actions/runners/1`);
    expect(busyDelete.status).toBe(422);
    expect((await stub('r1', 'complete')).status).toBe(200);
    expect(fake.job(id)).toMatchObject({ status: 'completed', conclusion: 'success' });
    expect(fake.runners()).toEqual([]);
    await fake.settled();
    const actions = receiver.received.map((w) => (JSON.parse(w.body) as { action: string }).action);
    expect(actions).toEqual(['queued', 'queued', 'in_progress', 'completed']);
  });

  it('answers 204 without a fitting job, 410 once deregistered, 404 when unknown', async () => {
    await registerRunner('idle', ['self-hosted']);
    expect((await stub('idle', 'acquire')).status).toBe(204);
    const deleted = await callApi(fake, 'DELETE', `${repoPath}/actions/runners/1`);
    expect(deleted.status).toBe(204);
    expect((await stub('idle', 'acquire')).status).toBe(410);
    expect((await stub('never', 'acquire')).status).toBe(404);
  });
});
