import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callApi } from '../support/fakes/fake-github/call-api.ts';
import { type Harness, harnessForEachTest } from '../support/harness/harness.ts';
import { waitUntil } from '../support/harness/wait-until.ts';

let h: Harness;
harnessForEachTest((made) => (h = made));

const repoPath = () => `/repos/${h.fake.defaultRepo.owner}/${h.fake.defaultRepo.name}`;
const ownHooks = () =>
  h.fake.hooks().filter((hook) => hook.origin === 'api' && hook.config.url === `${h.url}/webhook`);
const auto = (env: Record<string, string> = {}) =>
  h.start(
    { WEBHOOK_HOST: h.url, WEBHOOK_SECRET: '', RESYNC_INTERVAL_SECONDS: '5', ...env },
    { manualHook: false },
  );

describe('webhook registration (WEBHOOK_HOST)', () => {
  it('registers its hook with TLS verification off when WEBHOOK_INSECURE_SSL says so, and keeps it so', async () => {
    const controller = await auto({ WEBHOOK_INSECURE_SSL: 'true' });
    const [hook] = await waitUntil(
      () => (ownHooks().length === 1 ? ownHooks() : undefined),
      15_000,
      'hook created',
    );
    expect(hook?.config.insecure_ssl).toBe('1');
    const job = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 300 });
    await waitUntil(() => h.fake.job(job.id)?.status === 'completed', 20_000, 'served through it');
    // A restart checks the hook for drift: it is never "repaired" back to a verification that
    // a self-signed certificate cannot pass.
    const hookReads = () =>
      h.fake.requests().filter((r) => r.method === 'GET' && /\/hooks\/\d+$/.test(r.path)).length;
    const before = hookReads();
    await controller.stop();
    const again = await auto({ WEBHOOK_INSECURE_SSL: 'true' });
    await waitUntil(() => hookReads() > before, 15_000, 'the hook read again after the restart');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(again.logs().filter((line) => line.msg === 'webhook repaired')).toEqual([]);
    expect(ownHooks()[0]?.config.insecure_ssl).toBe('1');
  });

  it('creates its hook with a generated secret, leaves other hooks alone, and serves jobs through it', async () => {
    const other = await callApi(h.fake, 'POST', `${repoPath()}/hooks`, {
      body: {
        config: { url: 'https://elsewhere.example.com/hook', content_type: 'form' },
        events: ['push'],
      },
    });
    expect(other.status).toBe(201);
    await auto();
    const [hook] = await waitUntil(
      () => (ownHooks().length === 1 ? ownHooks() : undefined),
      15_000,
      'hook created',
    );
    expect(hook).toMatchObject({
      events: ['workflow_job'],
      active: true,
      config: { content_type: 'json', insecure_ssl: '0' },
    });
    const secretFile = join(h.dataDir ?? '', 'secrets', 'octocat-hello-world');
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    const untouched = h.fake
      .hooks()
      .find((candidate) => candidate.config.url === 'https://elsewhere.example.com/hook');
    expect(untouched).toMatchObject({ events: ['push'], config: { content_type: 'form' } });
    const job = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 300 });
    await waitUntil(
      () => h.fake.job(job.id)?.status === 'completed',
      20_000,
      'job completed via the created hook',
    );
    expect(
      h.fake
        .deliveries()
        .filter((d) => d.hookId === hook?.id)
        .every((d) => d.statusCode < 300),
    ).toBe(true);
    expect(h.controller?.output()).not.toContain(hook?.config.secret ?? 'no-secret');
  });

  it('repairs a drifted hook and a changed secret at start', async () => {
    const first = await auto({ WEBHOOK_SECRET: 'first-secret' });
    const [hook] = await waitUntil(
      () => (ownHooks().length === 1 ? ownHooks() : undefined),
      15_000,
      'hook created',
    );
    await first.stop();
    const drifted = await callApi(h.fake, 'PATCH', `${repoPath()}/hooks/${hook?.id}`, {
      body: {
        events: ['push'],
        active: false,
        config: { url: `${h.url}/webhook`, content_type: 'form' },
      },
    });
    expect(drifted.status).toBe(200);
    await auto({ WEBHOOK_SECRET: 'second-secret' });
    await waitUntil(
      () => ownHooks()[0]?.active === true && ownHooks()[0]?.events.join() === 'workflow_job',
      15_000,
      'hook repaired',
    );
    expect(ownHooks()).toHaveLength(1);
    expect(ownHooks()[0]?.config).toMatchObject({ content_type: 'json', secret: 'second-secret' });
    const job = await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 300 });
    await waitUntil(
      () => h.fake.job(job.id)?.status === 'completed',
      20_000,
      'job completed with the new secret',
    );
  });

  it('redelivers the deliveries that failed while it was down', async () => {
    const first = await auto();
    await waitUntil(() => ownHooks().length === 1, 15_000, 'hook created');
    await first.kill();
    // Only redelivery can bring these jobs back: reading runs from the API fails meanwhile.
    h.fake.failAlways({ status: 500, match: /actions\/runs/ });
    const jobs: { id: number }[] = [];
    for (let i = 0; i < 3; i += 1)
      jobs.push(await h.fake.queueJob({ labels: ['self-hosted'], durationMs: 300 }));
    expect(
      h.fake
        .deliveries()
        .filter((d) => d.action === 'queued')
        .every((d) => d.statusCode >= 500),
    ).toBe(true);
    await auto();
    await waitUntil(
      () => jobs.every((job) => h.fake.job(job.id)?.status === 'completed'),
      40_000,
      'jobs completed after redelivery',
    );
    const redelivered = h.fake.deliveries().filter((d) => d.redelivery && d.action === 'queued');
    expect(redelivered).toHaveLength(3);
    expect(redelivered.every((d) => d.statusCode === 202)).toBe(true);
    h.fake.clearFaults();
  });
});
