import { afterEach, describe, expect, it } from 'vitest';
import { createAdminConnection } from '../../controller/src/scaleset/admin-connection.ts';
import {
  startFakeActions,
  type FakeActions,
  type FakeActionsOptions,
} from '../support/fakes/fake-actions/index.ts';
import {
  connectSource,
  type ConnectedSource,
} from '../support/fakes/fake-actions/scale-set-harness.ts';

let fake: FakeActions | undefined;
const connected: ConnectedSource[] = [];

async function setup(
  fakeOptions: FakeActionsOptions = {},
  options: Parameters<typeof connectSource>[1] = {},
) {
  fake = await startFakeActions({ sessionTimeoutMs: 600, longPollMs: 300, ...fakeOptions });
  const client = connectSource(fake, options);
  connected.push(client);
  return { fake, client };
}

const listening = (f: FakeActions, client: ConnectedSource) =>
  f.waitFor(() => client.source.health().state === 'listening', 5000, 'listening');

afterEach(async () => {
  for (const client of connected.splice(0)) {
    await client.source.stop();
    client.assertNoSecretLeaked();
  }
  fake?.assertClean();
  await fake?.close();
  fake = undefined;
});

describe('scale-set source: message queue token', () => {
  it('refreshes the session on a 401 from the queue and keeps the same session', async () => {
    const { fake, client } = await setup();
    client.start();
    await listening(fake, client);
    fake.failNextPoll(401);
    await fake.waitFor(
      () => client.logged('message queue token refreshed').length > 0,
      5000,
      'refresh',
    );
    fake.expireMessageQueueTokens();
    fake.queueJob({ scaleSet: 'linux-x64' });
    await fake.waitFor(() => client.events().some((e) => e.type === 'job-assigned'), 5000, 'job');
    expect(client.logged('message queue token refreshed').length).toBeGreaterThanOrEqual(2);
    expect(fake.requests().filter((r) => r.method === 'PATCH').length).toBeGreaterThanOrEqual(2);
    expect(fake.sessions()).toHaveLength(1);
  });
});

describe('scale-set source: admin token', () => {
  it('exchanges a new admin token before the old one expires, never meeting a 401', async () => {
    const { fake, client } = await setup({ adminTokenTtlMs: 2500 }, { refreshMarginMs: 2000 });
    client.start();
    await listening(fake, client);
    const firstExpiry = client.actions.admin.expiresAt() ?? 0;
    expect(client.actions.admin.exchanges()).toBe(1);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, firstExpiry - 2000 - Date.now() + 50)),
    );
    const exchangedAt = Date.now();
    client.secrets.add((await client.source.jitConfig('runner-1')).encodedJitConfig);
    expect(client.actions.admin.exchanges()).toBe(2);
    expect(exchangedAt).toBeLessThan(firstExpiry);
    expect(client.actions.admin.expiresAt()).toBeGreaterThan(firstExpiry);
    expect(fake.requests().filter((r) => r.status === 401)).toEqual([]);
    expect(client.tokens.calls()).toBe(2);
  });

  it('exchanges again and retries once when the service refuses a revoked admin token', async () => {
    const { fake, client } = await setup();
    client.start();
    await listening(fake, client);
    fake.expireAdminTokens();
    client.secrets.add((await client.source.jitConfig('runner-1')).encodedJitConfig);
    expect(client.actions.admin.exchanges()).toBe(2);
    expect(fake.requests().filter((r) => r.status === 401)).toHaveLength(1);
  });

  it('shares one exchange among concurrent callers and re-exchanges only within the margin', async () => {
    fake = await startFakeActions({ adminTokenTtlMs: 600_000 });
    const tokens = fake.registrationTokenSource();
    let now = Date.now();
    const admin = createAdminConnection({
      apiUrl: fake.apiUrl,
      configUrl: fake.configUrl,
      registrationToken: tokens,
      now: () => now,
      refreshMarginMs: 60_000,
    });
    const [a, b] = await Promise.all([admin.get(), admin.get()]);
    expect(a.token).toBe(b.token);
    expect(admin.exchanges()).toBe(1);
    now = a.expiresAt - 61_000;
    expect((await admin.get()).token).toBe(a.token);
    now = a.expiresAt - 59_000;
    await admin.get();
    expect(admin.exchanges()).toBe(2);
    expect(tokens.calls()).toBe(2);
  });
});

describe('scale-set source: failures', () => {
  it('backs off on queue errors and keeps its session', async () => {
    const { fake, client } = await setup();
    client.start();
    await listening(fake, client);
    fake.failNext({ status: 503, match: /^GET .*\/messages$/, count: 3 });
    await fake.waitFor(
      () => client.logged('scale set listener failed; retrying').length === 3,
      5000,
      'three failures',
    );
    await listening(fake, client);
    expect(client.source.health()).toMatchObject({ consecutiveFailures: 0, lastError: undefined });
    const delays = client.logged('scale set listener failed; retrying').map((l) => l.maxRetryInMs);
    expect(delays).toHaveLength(3);
    expect(Number(delays[2])).toBeGreaterThan(Number(delays[0]));
    expect(fake.sessions()).toHaveLength(1);
  });

  it('gives a poll up after its window and polls again at once, which is no failure', async () => {
    const { fake, client } = await setup({ longPollMs: 2000 }, { pollWindowMs: 200 });
    client.start();
    await fake.waitFor(
      () => fake.requests().filter((r) => r.path.endsWith('/messages')).length >= 3,
      5000,
      'three polls',
    );
    const polls = fake.requests().filter((r) => r.path.endsWith('/messages'));
    // Given up by the client: the fake answers each when it ends its own 2 s hold, too late.
    expect(polls[1]!.at - polls[0]!.at).toBeLessThan(1000);
    expect(client.logged('scale set listener failed; retrying')).toEqual([]);
    expect(client.source.health()).toMatchObject({ state: 'listening', consecutiveFailures: 0 });
    expect(fake.sessions()).toHaveLength(1);
  });

  it('retries the registration exchange after a failure, with a fresh registration token', async () => {
    const { fake, client } = await setup();
    fake.failNext({ status: 502, match: /runner-registration$/ });
    client.start();
    await listening(fake, client);
    expect(client.logged('scale set session failed; retrying')).toHaveLength(1);
    expect(client.tokens.calls()).toBe(2);
  });

  it('does not acknowledge a message its callback failed to apply: the same message comes again', async () => {
    let failures = 1;
    const { fake, client } = await setup(
      {},
      {
        onBatch: (batch) => {
          if (batch.events.length > 0 && failures > 0) {
            failures -= 1;
            throw new Error('job book unavailable');
          }
        },
      },
    );
    client.start();
    await listening(fake, client);
    fake.queueJob({ scaleSet: 'linux-x64' });
    await fake.waitFor(() => client.events().length > 0, 5000, 'applied');
    const [message] = fake.messages('linux-x64');
    expect(message?.deliveries).toBe(2);
    await fake.waitFor(() => message?.acknowledged, 2000, 'acknowledged');
    expect(client.logged('scale set listener failed; retrying')).toHaveLength(1);
  });

  it('opens a new session when its session ends, and gets unacknowledged messages again', async () => {
    const { fake, client } = await setup(
      {},
      {
        onBatch: (batch) => {
          // The session ends while this message is applied: its acknowledgement cannot land.
          if (batch.events.length > 0 && fake.sessions().length === 1) {
            const sessionId = client.source.health().sessionId ?? '';
            fake.expireSession(sessionId);
          }
        },
      },
    );
    client.start();
    await listening(fake, client);
    fake.queueJob({ scaleSet: 'linux-x64' });
    await fake.waitFor(() => fake.sessions().length === 2, 5000, 'second session');
    await fake.waitFor(() => fake.messages('linux-x64')[0]?.acknowledged, 5000, 'acknowledged');
    const ids = client.batches
      .filter((b) => b.events.some((e) => e.type === 'job-available'))
      .map((b) => b.messageId);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
    expect(client.logged('scale set session lost; opening a new one')).toHaveLength(1);
  });
});

describe('scale-set source: recovery after an outage', () => {
  it('polls again within its capped backoff and reconnects at once when the session died meanwhile', async () => {
    // Long session backoff, short poll cap: the old code slept out its grown backoff here.
    const { fake, client } = await setup(
      {},
      { backoff: { initialMs: 200, maxMs: 20_000, pollMaxMs: 400, random: () => 0 } },
    );
    client.start();
    await listening(fake, client);
    fake.outage({ status: 503 });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(client.source.health().state).toBe('backing-off');
    const back = fake.endOutage();
    fake.queueJob({ scaleSet: 'linux-x64' });
    await fake.waitFor(() => client.events().some((e) => e.type === 'job-assigned'), 5000, 'job');
    // The session expired during the outage (600 ms): a new one, opened without a backoff.
    expect(fake.sessions()).toHaveLength(2);
    expect(Date.now() - back).toBeLessThan(1_500);
    const waits = client.logged('scale set listener failed; retrying').map((l) => l.maxRetryInMs);
    expect(Math.max(...waits.map(Number))).toBeLessThanOrEqual(400);
  });

  it('opens its session as soon as a probe finds the service back, not after the backoff', async () => {
    const { fake, client } = await setup(
      {},
      { backoff: { initialMs: 10_000, maxMs: 10_000, probeEveryMs: 100, random: () => 0 } },
    );
    client.start();
    await listening(fake, client);
    // Its scale set is gone and the service fails all but the queue (whose 404 tells the
    // listener its session is gone): the session cannot be opened again.
    fake.outage({ status: 503, match: /^(?!GET .*\/messages$)/ });
    fake.deleteScaleSet('linux-x64');
    await fake.waitFor(
      () => client.logged('scale set session failed; retrying').length > 0,
      5000,
      'a failed attempt',
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const back = fake.endOutage();
    await listening(fake, client);
    expect(Date.now() - back).toBeLessThan(1_000);
    expect(client.logged('the Actions service answers again; retrying now')).toHaveLength(1);
    expect(fake.scaleSet('linux-x64')).toBeDefined();
  }, 15_000);

  it('gives up a poll when the queue is quiet and a probe finds no service, and serves right after its return', async () => {
    const { fake, client } = await setup(
      { longPollMs: 2_000 },
      { pollWindowMs: 200, probeTimeoutMs: 300, backoff: { quietProbeMs: 500, probeEveryMs: 100 } },
    );
    client.start();
    await listening(fake, client);
    // Quiet but there: polls given up after their window, a probe answers.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(client.source.health()).toMatchObject({ state: 'listening', consecutiveFailures: 0 });
    fake.outage({ hang: true });
    await fake.waitFor(
      () => client.source.health().lastError === 'the Actions service does not answer',
      5000,
      'the service found unreachable',
    );
    expect(client.source.health().state).toBe('backing-off');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const back = fake.endOutage();
    fake.queueJob({ scaleSet: 'linux-x64' });
    await fake.waitFor(() => client.events().some((e) => e.type === 'job-assigned'), 5000, 'job');
    expect(Date.now() - back).toBeLessThan(1_000);
    expect(client.source.health().state).toBe('listening');
  });

  it('registers a runner asked for during an outage as soon as the service is back, not failing', async () => {
    const { fake, client } = await setup({}, { backoff: { probeEveryMs: 100 } });
    client.start();
    await listening(fake, client);
    fake.outage({ status: 503 });
    // The listener sees the service fail first; then the pool asks for a runner.
    await fake.waitFor(
      () => client.source.health().state === 'backing-off',
      5000,
      'the outage seen',
    );
    const registering = client.source.jitConfig('runner-during-outage');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const back = fake.endOutage();
    const jit = await registering;
    client.secrets.add(jit.encodedJitConfig);
    expect(Date.now() - back).toBeLessThan(500);
    const tries = fake.requests().filter((r) => r.path.endsWith('/generatejitconfig'));
    expect(tries.map((r) => r.status)).toEqual([200]);
  });
});
