import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ActionsServiceError } from '../../controller/src/scaleset/actions-error.ts';
import { startFakeActions, type FakeActions } from '../support/fakes/fake-actions/index.ts';
import {
  connectSource,
  playRunner,
  type ConnectedSource,
} from '../support/fakes/fake-actions/scale-set-harness.ts';

let fake: FakeActions;
const connected: ConnectedSource[] = [];

function connect(options: Parameters<typeof connectSource>[1] = {}): ConnectedSource {
  const client = connectSource(fake, options);
  connected.push(client);
  return client;
}

beforeEach(async () => {
  fake = await startFakeActions({ sessionTimeoutMs: 600, longPollMs: 300 });
});

afterEach(async () => {
  for (const client of connected.splice(0)) {
    await client.source.stop();
    client.assertNoSecretLeaked();
  }
  fake.assertClean();
  await fake.close();
});

describe('scale-set source: the job flow', () => {
  it('creates its scale set, opens a session and turns a job into events with the runner name', async () => {
    const client = connect({ labels: ['linux', 'x64'], maxCapacity: () => 3 });
    client.start();
    await fake.waitFor(() => client.source.health().state === 'listening', 5000, 'listening');
    expect(fake.scaleSet('linux-x64')?.labels.map((l) => l.name)).toEqual([
      'linux-x64',
      'linux',
      'x64',
    ]);
    expect(client.batches[0]).toMatchObject({ messageId: undefined, events: [] });

    const job = fake.queueJob({ scaleSet: 'linux-x64', durationMs: 300 });
    await fake.waitFor(
      () => client.events().some((e) => e.type === 'job-assigned'),
      5000,
      'job assigned',
    );
    const available = client.events().find((e) => e.type === 'job-available');
    expect(available).toMatchObject({
      acquired: true,
      job: {
        runnerRequestId: job.runnerRequestId,
        jobId: job.jobId,
        repository: 'octocat/hello-world',
        labels: ['linux-x64'],
      },
    });
    expect(client.source.health().statistics?.totalAssignedJobs).toBe(1);

    const runner = await client.source.jitConfig('runner-1');
    client.secrets.add(runner.encodedJitConfig);
    expect(runner.runnerName).toBe('runner-1');
    expect(await playRunner(runner.encodedJitConfig)).toBe(0.3);
    await fake.waitFor(
      () => client.events().some((e) => e.type === 'job-completed'),
      5000,
      'job completed',
    );
    const started = client.events().find((e) => e.type === 'job-started');
    const completed = client.events().find((e) => e.type === 'job-completed');
    expect(started).toMatchObject({ runnerName: 'runner-1', job: { jobId: job.jobId } });
    expect(completed).toMatchObject({ runnerName: 'runner-1', result: 'succeeded' });
    expect(client.source.health().statistics?.totalAssignedJobs).toBe(0);
    // Every message was acknowledged after it was applied; capacity came from maxCapacity().
    await fake.waitFor(() => fake.messages('linux-x64').every((m) => m.acknowledged), 2000, 'acks');
    const polls = fake.requests().filter((r) => r.capacity !== undefined);
    expect(new Set(polls.map((r) => r.capacity))).toEqual(new Set([3]));
  });

  it('sends what maxCapacity() answers at each poll, and the service assigns no more', async () => {
    let capacity = 0;
    const client = connect({ maxCapacity: () => capacity });
    client.start();
    await fake.waitFor(() => client.source.health().state === 'listening', 5000, 'listening');
    for (let i = 0; i < 3; i += 1) fake.queueJob({ scaleSet: 'linux-x64' });
    await fake.waitFor(
      () => fake.statistics('linux-x64').totalAcquiredJobs === 3,
      5000,
      'acquired',
    );
    expect(client.events().filter((e) => e.type === 'job-assigned')).toHaveLength(0);
    capacity = 2;
    await fake.waitFor(
      () => client.source.health().statistics?.totalAssignedJobs === 2,
      5000,
      'two assigned',
    );
    expect(client.events().filter((e) => e.type === 'job-assigned')).toHaveLength(2);
    expect(fake.requests().some((r) => r.capacity === 2)).toBe(true);
  });

  it('refuses JIT configs before the scale set is known, and a taken name with 409', async () => {
    const client = connect();
    await expect(client.source.jitConfig('early')).rejects.toThrow(/not ready/);
    client.start();
    await fake.waitFor(() => client.source.health().state === 'listening', 5000, 'listening');
    client.secrets.add((await client.source.jitConfig('twice')).encodedJitConfig);
    const taken = await client.source.jitConfig('twice').catch((error: unknown) => error);
    expect(taken).toBeInstanceOf(ActionsServiceError);
    expect(taken).toMatchObject({ status: 409, typeName: 'AgentExistsException' });
  });
});

describe('scale-set source: where it registers', () => {
  it('puts its scale set into a named runner group, on a GHES-style API prefix', async () => {
    await fake.close();
    fake = await startFakeActions({
      apiPathPrefix: '/api/v3',
      configUrls: ['https://ghes.example/acme'],
      longPollMs: 300,
    });
    const group = fake.addRunnerGroup('builders');
    const client = connect({ runnerGroup: 'builders' });
    client.start();
    await fake.waitFor(() => client.source.health().state === 'listening', 5000, 'listening');
    expect(fake.apiUrl).toMatch(/\/api\/v3$/);
    expect(fake.requests().some((r) => r.path === '/api/v3/actions/runner-registration')).toBe(
      true,
    );
    expect(fake.scaleSet('linux-x64', 'https://ghes.example/acme')?.runnerGroupId).toBe(group);
  });
});

describe('scale-set source: restarts', () => {
  it('finds its scale set again, waits out the 409 of a killed predecessor and gets its unacknowledged message again', async () => {
    let crashed = false;
    const first = connect({
      onBatch: (batch) => {
        // Dies after applying the job's message, before acknowledging it.
        if (!crashed && batch.events.length > 0) {
          crashed = true;
          first.cut();
        }
      },
    });
    first.start();
    await fake.waitFor(() => first.source.health().state === 'listening', 5000, 'listening');
    const job = fake.queueJob({ scaleSet: 'linux-x64' });
    await fake.waitFor(() => crashed, 5000, 'first source applied a message');
    const lost = first.batches.find((batch) => batch.events.length > 0);
    expect(fake.messages('linux-x64').find((m) => m.id === lost?.messageId)?.acknowledged).toBe(
      false,
    );

    const second = connect();
    const startedAt = Date.now();
    second.start();
    await fake.waitFor(
      () => second.batches.some((batch) => batch.messageId === lost?.messageId),
      5000,
      'the lost message redelivered',
    );
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(300);
    expect(
      second.logged('another session of the scale set is still active; waiting for it to expire')
        .length,
    ).toBeGreaterThan(0);
    expect(fake.requests().some((r) => r.path.endsWith('/sessions') && r.status === 409)).toBe(
      true,
    );
    expect(fake.scaleSets()).toHaveLength(1);
    const redelivered = second.events().find((e) => e.type === 'job-available');
    expect(redelivered).toMatchObject({
      acquired: true,
      job: { runnerRequestId: job.runnerRequestId },
    });
    await fake.waitFor(
      () => fake.messages('linux-x64').every((m) => m.acknowledged),
      3000,
      'all acknowledged',
    );
  });

  it('stop() deletes the session, so a successor opens one at once', async () => {
    const first = connect();
    first.start();
    await fake.waitFor(() => first.source.health().state === 'listening', 5000, 'listening');
    const sessionId = first.source.health().sessionId;
    await first.source.stop();
    expect(first.source.health().state).toBe('stopped');
    expect(fake.sessions().find((s) => s.id === sessionId)?.ended).toBe('deleted');
    expect(first.logged('scale set session deleted')).toHaveLength(1);

    const second = connect();
    second.start();
    await fake.waitFor(() => second.source.health().state === 'listening', 2000, 'listening');
    expect(fake.requests().some((r) => r.status === 409)).toBe(false);
  });

  it('recreates its scale set when it was removed on GitHub, with a log line', async () => {
    const client = connect();
    client.start();
    await fake.waitFor(() => client.source.health().state === 'listening', 5000, 'listening');
    const before = client.source.health().scaleSetId;
    fake.deleteScaleSet('linux-x64');
    await fake.waitFor(
      () => client.logged('scale set was removed on GitHub; recreated it').length > 0,
      5000,
      'recreation logged',
    );
    await fake.waitFor(() => client.source.health().state === 'listening', 5000, 'listening again');
    const after = client.source.health().scaleSetId;
    expect(after).not.toBe(before);
    expect(fake.scaleSet('linux-x64')?.id).toBe(after);
    fake.queueJob({ scaleSet: 'linux-x64' });
    await fake.waitFor(
      () => client.events().some((e) => e.type === 'job-assigned'),
      5000,
      'job on the new scale set',
    );
  });
});
