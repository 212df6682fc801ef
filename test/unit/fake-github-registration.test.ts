import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { callApi } from '../support/fakes/fake-github/call-api.ts';
import { startFakeGitHub, type FakeGitHub } from '../support/fakes/fake-github/index.ts';
import {
  createOpenApiValidator,
  type OpenApiValidator,
} from '../support/fakes/openapi/openapi-validator.ts';

// Registration-token runners in the fake: the documented token routes, and the stub route the
// runner stand-in's config.sh registers and removes itself through.
let openapi: OpenApiValidator;
let fake: FakeGitHub;
const repoUrl = 'https://github.com/octocat/hello-world';

beforeAll(() => {
  openapi = createOpenApiValidator();
}, 60_000);

beforeEach(async () => {
  fake = await startFakeGitHub();
  fake.addRepo({ owner: 'acme', name: 'widgets', org: true });
});

afterEach(async () => {
  fake.assertClean();
  await fake.close();
});

async function runnerToken(scope: string, kind: 'registration' | 'remove'): Promise<string> {
  const template = scope.startsWith('/orgs/') ? '/orgs/{org}' : '/repos/{owner}/{repo}';
  const answer = await callApi(fake, 'POST', `${scope}/actions/runners/${kind}-token`);
  expect(answer.status).toBe(201);
  const route = `${template}/actions/runners/${kind}-token`;
  expect(openapi.validate('POST', route, 201, answer.body)).toEqual([]);
  const { token, expires_at } = answer.body as { token: string; expires_at: string };
  expect(token).toMatch(/^A[A-Z2-7]{28}$/);
  expect(Date.parse(expires_at) - Date.now()).toBeGreaterThan(59 * 60_000);
  return token;
}

async function stub(token: string, body: Record<string, unknown>) {
  const response = await fetch(`${fake.url}/_stub/runner-registration`, {
    method: 'POST',
    headers: { authorization: `RemoteAuth ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

const registration = (name: string, extra: Record<string, unknown> = {}) => ({
  url: repoUrl,
  runner_event: 'register',
  name,
  labels: ['self-hosted', 'Linux', 'X64'],
  runner_group: 'Default',
  ephemeral: false,
  replace: false,
  ...extra,
});

describe('registration-token runners in the fake GitHub', () => {
  it('hands out registration and remove tokens for repositories and organizations', async () => {
    await runnerToken('/repos/octocat/hello-world', 'registration');
    await runnerToken('/orgs/acme', 'remove');
    expect(fake.runnerTokens().map((t) => t.kind)).toEqual(['registration', 'remove']);
    const missing = await callApi(fake, 'POST', '/repos/octocat/nope/actions/runners/remove-token');
    expect(missing.status).toBe(404);
  });

  it('registers a runner the REST API lists, and removes it with a remove token', async () => {
    const token = await runnerToken('/repos/octocat/hello-world', 'registration');
    const registered = await stub(token, registration('static-1'));
    expect(registered.status).toBe(201);
    const { id } = registered.body as { id: number };
    const listed = await callApi(fake, 'GET', '/repos/octocat/hello-world/actions/runners');
    expect(
      openapi.validate('GET', '/repos/{owner}/{repo}/actions/runners', 200, listed.body),
    ).toEqual([]);
    expect(listed.body).toMatchObject({
      total_count: 1,
      runners: [{ id, name: 'static-1', status: 'online', ephemeral: false }],
    });

    // A registration token does not remove, nor a remove token of another scope.
    const removal = { url: repoUrl, runner_event: 'remove', runner_id: id };
    expect((await stub(token, removal)).status).toBe(404);
    const foreign = await runnerToken('/orgs/acme', 'remove');
    expect((await stub(foreign, removal)).status).toBe(404);
    const remove = await runnerToken('/repos/octocat/hello-world', 'remove');
    expect((await stub(remove, removal)).status).toBe(204);
    expect(fake.runners()).toEqual([]);
  });

  it('refuses unknown tokens, taken names without replace, and unknown runner groups', async () => {
    expect((await stub('AXXXXXXXXXXXXXXXXXXXXXXXXXXXX', registration('r'))).status).toBe(404);
    const token = await runnerToken('/repos/octocat/hello-world', 'registration');
    expect((await stub(token, registration('r'))).status).toBe(201);
    expect((await stub(token, registration('r'))).status).toBe(409);
    const replaced = await stub(token, registration('r', { replace: true }));
    expect(replaced.status).toBe(201);
    expect(fake.runners()).toEqual([expect.objectContaining({ name: 'r' })]);
    const group = await stub(token, registration('g', { runner_group: 'builders' }));
    expect(group).toMatchObject({ status: 404 });
  });

  it("puts an organization's runner in the named group", async () => {
    const id = fake.addRunnerGroup('acme', 'builders');
    const token = await runnerToken('/orgs/acme', 'registration');
    const answer = await stub(
      token,
      registration('org-1', { url: 'https://github.com/acme', runner_group: 'Builders' }),
    );
    expect(answer.status).toBe(201);
    expect(fake.runners()).toEqual([expect.objectContaining({ name: 'org-1', runnerGroupId: id })]);
  });
});
