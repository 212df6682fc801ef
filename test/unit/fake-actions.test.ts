import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeActions, type FakeActions } from '../support/fakes/fake-actions/index.ts';

/*
 * The fake Actions service on the wire, without the product's client: what it answers is what
 * the reference client (github.com/actions/scaleset at 6ce025902cd964747a078c2aabe7340ebc667eca)
 * expects, so the product's client is tested against something that holds still.
 */

let fake: FakeActions;

beforeEach(async () => {
  fake = await startFakeActions({ sessionTimeoutMs: 400, longPollMs: 300 });
});

afterEach(async () => {
  await fake.close();
});

type Answer = { status: number; body: unknown };

async function send(
  method: string,
  url: string,
  options: { auth?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(options.auth === undefined ? {} : { authorization: options.auth }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // text (stub protocol)
  }
  return { status: response.status, body };
}

async function adminConnection() {
  const answer = await send('POST', `${fake.apiUrl}/actions/runner-registration`, {
    auth: `RemoteAuth ${fake.issueRegistrationToken()}`,
    body: { url: fake.configUrl, runner_event: 'register' },
  });
  expect(answer.status).toBe(201);
  const { url, token } = answer.body as { url: string; token: string };
  const call = (method: string, path: string, body?: unknown, auth = `Bearer ${token}`) =>
    send(method, `${url}${path}${path.includes('?') ? '&' : '?'}api-version=6.0-preview`, {
      auth,
      body,
    });
  return { url, token, call };
}

type Session = { sessionId: string; messageQueueUrl: string; messageQueueAccessToken: string };

async function scaleSetWithSession(name = 'linux-x64') {
  const admin = await adminConnection();
  const created = await admin.call('POST', '_apis/runtime/runnerscalesets', {
    name,
    runnerGroupId: 1,
    labels: [{ name, type: 'System' }],
  });
  expect(created.status).toBe(200);
  const id = (created.body as { id: number }).id;
  const opened = await admin.call('POST', `_apis/runtime/runnerscalesets/${id}/sessions`, {
    ownerName: 'test',
  });
  expect(opened.status).toBe(200);
  const session = opened.body as Session;
  const poll = (lastMessageId = 0, capacity = 10, token = session.messageQueueAccessToken) => {
    const url = new URL(session.messageQueueUrl);
    if (lastMessageId > 0) url.searchParams.set('lastMessageId', String(lastMessageId));
    return send('GET', url.toString(), {
      auth: `Bearer ${token}`,
      headers: { 'X-ScaleSetMaxCapacity': String(capacity) },
    });
  };
  const ack = (messageId: number) => {
    const url = new URL(session.messageQueueUrl);
    url.pathname += `/${messageId}`;
    return send('DELETE', url.toString(), { auth: `Bearer ${session.messageQueueAccessToken}` });
  };
  const acquire = (ids: number[]) =>
    admin.call(
      'POST',
      `_apis/runtime/runnerscalesets/${id}/acquirejobs`,
      ids,
      `Bearer ${session.messageQueueAccessToken}`,
    );
  return { admin, id, session, poll, ack, acquire };
}

const jobTypes = (answer: Answer) =>
  (JSON.parse((answer.body as { body: string }).body) as { messageType: string }[]).map(
    (m) => m.messageType,
  );

describe('fake Actions service: registration exchange', () => {
  it('exchanges a registration token for the service URL and an admin JWT with exp', async () => {
    const { url, token } = await adminConnection();
    expect(url).toMatch(new RegExp(`^${fake.url}/tenant/\\d+/$`));
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      exp: number;
    };
    expect(claims.exp * 1000).toBeGreaterThan(Date.now() + 3_500_000);
    expect(fake.exchanges()).toBe(1);
  });

  it('refuses unknown tokens, other config URLs and a bad body', async () => {
    const exchange = (auth: string, body: unknown) =>
      send('POST', `${fake.apiUrl}/actions/runner-registration`, { auth, body });
    const body = { url: fake.configUrl, runner_event: 'register' };
    expect((await exchange('RemoteAuth nope', body)).status).toBe(401);
    expect((await exchange(`Bearer ${fake.issueRegistrationToken()}`, body)).status).toBe(401);
    fake.addConfigUrl('https://github.com/acme');
    const other = fake.issueRegistrationToken('https://github.com/acme');
    expect((await exchange(`RemoteAuth ${other}`, body)).status).toBe(403);
    const unknown = { url: 'https://github.com/nobody/here', runner_event: 'register' };
    expect((await exchange(`RemoteAuth ${other}`, unknown)).status).toBe(404);
    const bad = await exchange(`RemoteAuth ${fake.issueRegistrationToken()}`, { url: 'x' });
    expect(bad.status).toBe(400);
    expect(fake.violations).toHaveLength(1);
  });

  it('refuses admin tokens once expired, and calls without api-version', async () => {
    const { url, token, call } = await adminConnection();
    expect((await call('GET', '_apis/runtime/runnerscalesets')).status).toBe(200);
    const bare = await send('GET', `${url}_apis/runtime/runnerscalesets`, {
      auth: `Bearer ${token}`,
    });
    expect(bare.status).toBe(400);
    fake.expireAdminTokens();
    const refused = await call('GET', '_apis/runtime/runnerscalesets');
    expect(refused.status).toBe(401);
    expect((refused.body as { typeName: string }).typeName).toContain('VssUnauthorizedException');
  });
});

describe('fake Actions service: scale sets', () => {
  it('creates, finds by name and group, refuses duplicates and deletes', async () => {
    const { call } = await adminConnection();
    const body = { name: 'big', runnerGroupId: 1, labels: [{ name: 'big' }, { name: 'gpu' }] };
    const created = await call('POST', '_apis/runtime/runnerscalesets', body);
    expect(created.body).toMatchObject({ name: 'big', runnerGroupId: 1, statistics: {} });
    expect((await call('POST', '_apis/runtime/runnerscalesets', body)).status).toBe(409);
    const found = await call('GET', '_apis/runtime/runnerscalesets?runnerGroupId=1&name=big');
    expect(found.body).toMatchObject({ count: 1, value: [{ name: 'big' }] });
    const none = await call('GET', '_apis/runtime/runnerscalesets?runnerGroupId=1&name=small');
    expect(none.body).toEqual({ count: 0, value: [] });
    const id = (created.body as { id: number }).id;
    expect((await call('DELETE', `_apis/runtime/runnerscalesets/${id}`)).status).toBe(204);
    expect((await call('GET', `_apis/runtime/runnerscalesets/${id}`)).status).toBe(404);
  });

  it('finds runner groups by name', async () => {
    fake.addRunnerGroup('builders');
    const { call } = await adminConnection();
    const found = await call('GET', '_apis/runtime/runnergroups/?groupName=builders');
    expect(found.body).toMatchObject({ count: 1, value: [{ id: 2, name: 'builders' }] });
  });
});

describe('fake Actions service: sessions', () => {
  it('answers 409 while a session is active, and lets a new one in after expiry or deletion', async () => {
    const { admin, id, session } = await scaleSetWithSession();
    const path = `_apis/runtime/runnerscalesets/${id}/sessions`;
    const conflict = await admin.call('POST', path, { ownerName: 'second' });
    expect(conflict.status).toBe(409);
    expect((conflict.body as { typeName: string }).typeName).toContain(
      'TaskAgentSessionConflictException',
    );
    await new Promise((resolve) => setTimeout(resolve, 450));
    const second = await admin.call('POST', path, { ownerName: 'second' });
    expect(second.status).toBe(200);
    const next = (second.body as Session).sessionId;
    expect(next).not.toBe(session.sessionId);
    expect((await admin.call('DELETE', `${path}/${next}`)).status).toBe(204);
    expect((await admin.call('POST', path, { ownerName: 'third' })).status).toBe(200);
  });

  it('keeps a session that is being polled active, and ends one not polled (400)', async () => {
    const { admin, id, poll } = await scaleSetWithSession();
    const path = `_apis/runtime/runnerscalesets/${id}/sessions`;
    for (let i = 0; i < 2; i += 1) expect((await poll()).status).toBe(202);
    expect((await admin.call('POST', path, { ownerName: 'second' })).status).toBe(409);
    await new Promise((resolve) => setTimeout(resolve, 450));
    const late = await poll();
    expect(late.status).toBe(400);
    expect((late.body as { typeName: string }).typeName).toContain('TaskAgentSessionExpired');
  });

  it('refreshes the queue token with PATCH; the old token gets 401', async () => {
    const { admin, id, session, poll } = await scaleSetWithSession();
    fake.expireMessageQueueTokens();
    expect((await poll()).status).toBe(401);
    const refreshed = await admin.call(
      'PATCH',
      `_apis/runtime/runnerscalesets/${id}/sessions/${session.sessionId}`,
    );
    expect(refreshed.status).toBe(200);
    const token = (refreshed.body as Session).messageQueueAccessToken;
    expect(token).not.toBe(session.messageQueueAccessToken);
    expect((await poll(0, 1, token)).status).toBe(202);
    expect((await poll(0, 1)).status).toBe(401);
  });
});

describe('fake Actions service: message queue', () => {
  it('long-polls: 202 when empty, a message as soon as a job is queued', async () => {
    const { poll } = await scaleSetWithSession();
    const started = Date.now();
    expect((await poll()).status).toBe(202);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const waiting = poll();
    setTimeout(() => fake.queueJob({ scaleSet: 'linux-x64' }), 50);
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      messageType: 'RunnerScaleSetJobMessages',
      statistics: { totalAvailableJobs: 1, totalAssignedJobs: 0 },
    });
    expect(jobTypes(answer)).toEqual(['JobAvailable']);
  });

  it('redelivers an unacknowledged message to a poll that starts over, not an acknowledged one', async () => {
    const { poll, ack } = await scaleSetWithSession();
    fake.queueJob({ scaleSet: 'linux-x64' });
    const first = await poll();
    const id = (first.body as { messageId: number }).messageId;
    expect((await poll(id)).status).toBe(202);
    const again = await poll();
    expect((again.body as { messageId: number }).messageId).toBe(id);
    expect(fake.messages('linux-x64')[0]?.deliveries).toBe(2);
    expect((await ack(id)).status).toBe(204);
    expect((await poll()).status).toBe(202);
    expect((await ack(9999)).status).toBe(404);
  });

  it('puts at most 50 job messages into one message', async () => {
    const { poll } = await scaleSetWithSession();
    for (let i = 0; i < 60; i += 1) fake.queueJob({ scaleSet: 'linux-x64' });
    const first = await poll();
    expect(jobTypes(first)).toHaveLength(50);
    expect(first.body).toMatchObject({ statistics: { totalAvailableJobs: 60 } });
    const second = await poll((first.body as { messageId: number }).messageId);
    expect(jobTypes(second)).toHaveLength(10);
  });

  it('assigns acquired jobs within the capacity the poll sent, and counts running ones', async () => {
    const { poll, acquire } = await scaleSetWithSession();
    const jobs = [1, 2, 3].map(() => fake.queueJob({ scaleSet: 'linux-x64' }).runnerRequestId);
    const offered = await poll(0, 0);
    const acquired = await acquire([...jobs, 999]);
    expect(acquired.body).toEqual({ count: 3, value: jobs });
    expect(await acquire(jobs)).toMatchObject({ body: { count: 3 } });
    const lastId = (offered.body as { messageId: number }).messageId;
    expect((await poll(lastId, 0)).status).toBe(202);
    expect(fake.statistics('linux-x64')).toMatchObject({ totalAcquiredJobs: 3 });
    const assigned = await poll(lastId, 2);
    expect(jobTypes(assigned)).toEqual(['JobAssigned', 'JobAssigned']);
    expect(assigned.body).toMatchObject({
      statistics: { totalAcquiredJobs: 1, totalAssignedJobs: 2, totalRunningJobs: 0 },
    });
    expect(
      fake
        .requests()
        .filter((r) => r.capacity !== undefined)
        .map((r) => r.capacity),
    ).toEqual([0, 0, 2]);
  });

  it('refuses a poll without X-ScaleSetMaxCapacity as a contract violation', async () => {
    const { session } = await scaleSetWithSession();
    const answer = await send('GET', session.messageQueueUrl, {
      auth: `Bearer ${session.messageQueueAccessToken}`,
    });
    expect(answer.status).toBe(400);
    expect(() => fake.assertClean()).toThrow(/X-ScaleSetMaxCapacity/);
  });

  it('answers 404 to polls once the scale set is deleted, ending a waiting poll', async () => {
    const { poll } = await scaleSetWithSession();
    const waiting = poll();
    setTimeout(() => fake.deleteScaleSet('linux-x64'), 50);
    expect((await waiting).status).toBe(404);
  });

  it('fails the next poll on demand', async () => {
    const { poll } = await scaleSetWithSession();
    fake.failNextPoll();
    expect((await poll()).status).toBe(401);
    expect((await poll()).status).toBe(202);
  });
});

describe('fake Actions service: JIT runners and the stub protocol', () => {
  it('hands out stub JIT configs; a runner takes an assigned job, started and completed follow', async () => {
    const { admin, id, poll, acquire } = await scaleSetWithSession();
    const path = `_apis/runtime/runnerscalesets/${id}/generatejitconfig`;
    const jit = await admin.call('POST', path, { name: 'runner-1', workFolder: '_work' });
    expect(jit.body).toMatchObject({ runner: { name: 'runner-1', runnerScaleSetId: id } });
    expect((await admin.call('POST', path, { name: 'runner-1' })).status).toBe(409);
    const base = Buffer.from(
      (jit.body as { encodedJITConfig: string }).encodedJITConfig,
      'base64',
    ).toString();
    expect(base).toBe(`${fake.url}/_stub/scalesets/${id}/runners/runner-1`);
    expect((await send('POST', `${base}/acquire`)).status).toBe(204);
    const job = fake.queueJob({ scaleSet: 'linux-x64', durationMs: 1500 });
    const offered = await poll(0, 1);
    await acquire([job.runnerRequestId]);
    let last = (offered.body as { messageId: number }).messageId;
    const assigned = await poll(last, 1);
    last = (assigned.body as { messageId: number }).messageId;
    expect(jobTypes(assigned)).toEqual(['JobAssigned']);
    expect(await send('POST', `${base}/acquire`)).toEqual({ status: 200, body: 1.5 });
    const started = await poll(last, 1);
    last = (started.body as { messageId: number }).messageId;
    expect(JSON.parse((started.body as { body: string }).body)).toMatchObject([
      { messageType: 'JobStarted', runnerName: 'runner-1', runnerRequestId: job.runnerRequestId },
    ]);
    expect(started.body).toMatchObject({
      statistics: { totalRunningJobs: 1, totalBusyRunners: 1, totalAssignedJobs: 1 },
    });
    expect((await send('POST', `${base}/complete`)).status).toBe(200);
    const completed = await poll(last, 1);
    expect(JSON.parse((completed.body as { body: string }).body)).toMatchObject([
      { messageType: 'JobCompleted', runnerName: 'runner-1', result: 'succeeded' },
    ]);
    expect(completed.body).toMatchObject({
      statistics: { totalAssignedJobs: 0, totalRegisteredRunners: 0 },
    });
    expect((await send('POST', `${base}/acquire`)).status).toBe(410);
    fake.assertClean();
  });

  it('offers jobs queued before their scale set exists once it is created', async () => {
    const job = fake.queueJob({ labels: ['later'] });
    expect(fake.job(job.runnerRequestId)?.state).toBe('unmatched');
    const { poll } = await scaleSetWithSession('later');
    expect(jobTypes(await poll())).toEqual(['JobAvailable']);
  });
});

describe('fake Actions service: sessions dropped on its side', () => {
  it('refuses an evicted session’s token (401), 404s its refresh and 400s its deletion', async () => {
    const { admin, id, session, poll } = await scaleSetWithSession();
    fake.evictSession(session.sessionId);
    expect((await poll()).status).toBe(401);
    const path = `_apis/runtime/runnerscalesets/${id}/sessions/${session.sessionId}`;
    const refresh = await admin.call('PATCH', path);
    expect(refresh.status).toBe(404);
    expect((refresh.body as { typeName: string }).typeName).toContain('RunnerAdminException');
    const deletion = await admin.call('DELETE', path);
    expect(deletion.status).toBe(400);
    expect((deletion.body as { typeName: string }).typeName).toContain(
      'RunnerScaleSetSessionExpiredException',
    );
    const sessions = `_apis/runtime/runnerscalesets/${id}/sessions`;
    expect((await admin.call('POST', sessions, { ownerName: 'next' })).status).toBe(200);
  });

  it('ends a held poll of a session it evicts with 401', async () => {
    const { session, poll } = await scaleSetWithSession();
    const waiting = poll();
    setTimeout(() => fake.evictSession(session.sessionId), 50);
    expect((await waiting).status).toBe(401);
  });
});

describe('fake Actions service: outages', () => {
  it('answers every request with the front end’s HTML page while down, and the held poll too', async () => {
    const { admin, id, poll } = await scaleSetWithSession();
    const waiting = poll();
    await new Promise((resolve) => setTimeout(resolve, 50));
    fake.outage({ status: 503 });
    const held = await waiting;
    expect(held.status).toBe(503);
    expect(String(held.body)).toMatch(/^<!DOCTYPE html>/);
    expect((await admin.call('GET', `_apis/runtime/runnerscalesets/${id}`)).status).toBe(503);
    const exchange = await send('POST', `${fake.apiUrl}/actions/runner-registration`, {
      auth: `RemoteAuth ${fake.issueRegistrationToken()}`,
      body: { url: fake.configUrl, runner_event: 'register' },
    });
    expect(exchange.status).toBe(503);
    fake.endOutage();
    expect((await poll()).status).toBe(202);
    expect(fake.requests().filter((r) => r.status === 503)).toHaveLength(3);
  });

  it('leaves the runner’s own routes alone, and limits an outage to what `match` names', async () => {
    const { admin, id, poll } = await scaleSetWithSession();
    fake.outage({ status: 500, match: /^GET .*\/messages$/ });
    expect((await poll()).status).toBe(500);
    expect((await admin.call('GET', `_apis/runtime/runnerscalesets/${id}`)).status).toBe(200);
    const jit = await admin.call('POST', `_apis/runtime/runnerscalesets/${id}/generatejitconfig`, {
      name: 'runner-1',
    });
    const base = Buffer.from(
      (jit.body as { encodedJITConfig: string }).encodedJITConfig,
      'base64',
    ).toString();
    fake.outage({ status: 503 });
    expect((await send('POST', `${base}/acquire`)).status).toBe(204);
    fake.endOutage();
  });

  it('answers nothing during a hang, not even after it, to requests sent or held meanwhile', async () => {
    const { admin, id, poll } = await scaleSetWithSession();
    // Both fail only when the fake closes (afterEach).
    const held = poll().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 50));
    fake.outage({ hang: true });
    const during = admin.call('GET', `_apis/runtime/runnerscalesets/${id}`).catch(() => undefined);
    fake.queueJob({ scaleSet: 'linux-x64' });
    // Shorter than the session's timeout (400 ms), which runs on while nothing reaches it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fake.hanging()).toBe(2);
    fake.endOutage();
    let answered = false;
    void Promise.race([held, during]).then(() => (answered = true));
    // A new request is answered at once (the job's message, which the held poll never took).
    const fresh = await poll();
    expect(fresh.status).toBe(200);
    expect(jobTypes(fresh)).toEqual(['JobAvailable']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answered).toBe(false);
    expect(fake.hanging()).toBe(2);
    expect(fake.requests().filter((r) => r.status === 0)).toHaveLength(2);
  });
});
