import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { createSign } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { callApi } from '../support/fakes/fake-github/call-api.ts';
import {
  generateTestAppKey,
  startFakeGitHub,
  type FakeGitHub,
  type FakeGitHubOptions,
} from '../support/fakes/fake-github/index.ts';

const key = generateTestAppKey();
const appId = 4242;
const apps = [
  {
    id: appId,
    publicKeyPem: key.publicKeyPem,
    installations: [
      { id: 11, account: 'octocat' },
      { id: 12, account: 'acme', deny: ['runners' as const] },
    ],
  },
];
const repo = { owner: 'octocat', repo: 'hello-world' };
const jitBody = { name: 'runner-1', runner_group_id: 1, labels: ['self-hosted'] };

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
let fake: FakeGitHub | undefined;

async function start(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  fake = await startFakeGitHub({ apps, ...options });
  fake.addRepo({ owner: 'acme', name: 'widgets', org: true });
  return fake;
}

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const appOctokit = (f: FakeGitHub, auth: Record<string, unknown>) =>
  new Octokit({ baseUrl: f.apiUrl, authStrategy: createAppAuth, auth, log: quiet });

/** A JWT signed with the test key, with chosen claims. */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(key.privateKeyPem, 'base64url');
  return `${unsigned}.${signature}`;
}

describe('fake GitHub: GitHub App authentication', () => {
  it('generates a PKCS#1 key, as GitHub hands out', () => {
    expect(key.privateKeyPem).toContain('-----BEGIN RSA PRIVATE KEY-----');
    expect(key.publicKeyPem).toContain('-----BEGIN PUBLIC KEY-----');
  });

  it('lets @octokit/auth-app create an installation token and list runners', async () => {
    const f = await start();
    const octokit = appOctokit(f, { appId, privateKey: key.privateKeyPem, installationId: 11 });
    const { data } = await octokit.rest.actions.listSelfHostedRunnersForRepo(repo);
    expect(data).toEqual({ total_count: 0, runners: [] });
    expect(f.installationTokens()).toMatchObject([{ installationId: 11, account: 'octocat' }]);
    const paths = f.requests().map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(paths).toEqual([
      'POST /app/installations/11/access_tokens 201',
      'GET /repos/octocat/hello-world/actions/runners 200',
    ]);
    f.assertClean();
  });

  it('finds the installation of a repository with the app JWT', async () => {
    const f = await start();
    const octokit = appOctokit(f, { appId, privateKey: key.privateKeyPem });
    const { data } = await octokit.rest.apps.getRepoInstallation(repo);
    expect(data).toMatchObject({ id: 11, app_id: appId, account: { login: 'octocat' } });
    const org = await octokit.rest.apps.getOrgInstallation({ org: 'acme' });
    expect(org.data).toMatchObject({ id: 12, target_type: 'Organization' });
    const app = await octokit.rest.apps.getAuthenticated();
    expect(app.data).toMatchObject({ id: appId });
    const missing = f.addRepo({ owner: 'other', name: 'thing' });
    await expect(
      octokit.rest.apps.getRepoInstallation({ owner: missing.owner, repo: missing.name }),
    ).rejects.toMatchObject({ status: 404 });
    f.assertClean();
  });

  it('refuses a JWT signed with another key, or living longer than 10 minutes', async () => {
    const f = await start();
    const other = generateTestAppKey();
    const octokit = appOctokit(f, { appId, privateKey: other.privateKeyPem });
    await expect(octokit.rest.apps.getRepoInstallation(repo)).rejects.toMatchObject({
      status: 401,
      response: { data: { message: 'A JSON web token could not be decoded' } },
    });
    const now = Math.floor(Date.now() / 1000);
    const tooLong = jwt({ iss: appId, iat: now, exp: now + 3600 });
    const answer = await callApi(f, 'POST', '/app/installations/11/access_tokens', {
      token: tooLong,
    });
    expect(answer.status).toBe(401);
    const valid = jwt({ iss: appId, iat: now - 30, exp: now + 570 });
    const created = await callApi(f, 'POST', '/app/installations/11/access_tokens', {
      token: valid,
    });
    expect(created.status).toBe(201);
    // A personal token is no app JWT; a JWT is no token for REST resources.
    expect((await callApi(f, 'GET', '/app')).status).toBe(401);
    const jwtOnRest = await callApi(f, 'GET', '/repos/octocat/hello-world/actions/runners', {
      token: valid,
    });
    expect(jwtOnRest.status).toBe(403);
    f.assertClean();
  });

  it('limits installation tokens to their account and their permissions', async () => {
    const f = await start();
    const octokit = appOctokit(f, { appId, privateKey: key.privateKeyPem, installationId: 11 });
    await expect(
      octokit.rest.actions.listSelfHostedRunnersForOrg({ org: 'acme' }),
    ).rejects.toMatchObject({
      status: 403,
      response: { data: { message: 'Resource not accessible by integration' } },
    });
    await expect(octokit.rest.repos.get({ owner: 'acme', repo: 'widgets' })).rejects.toMatchObject({
      status: 404,
    });
    const acme = appOctokit(f, { appId, privateKey: key.privateKeyPem, installationId: 12 });
    await expect(
      acme.rest.actions.generateRunnerJitconfigForOrg({ org: 'acme', ...jitBody }),
    ).rejects.toMatchObject({
      status: 403,
      response: { data: { message: 'Resource not accessible by integration' } },
    });
    f.expireInstallationTokens();
    const expired = f.installationTokens()[0]?.token ?? '';
    const answer = await callApi(f, 'GET', '/repos/octocat/hello-world', { token: expired });
    expect(answer.status).toBe(401);
    f.assertClean();
  });

  it('refuses runner and hook routes to personal tokens that lack the rights', async () => {
    const f = await start({
      tokens: [
        'full',
        { token: 'no-runners', deny: ['runners'] },
        { token: 'no-hooks', deny: ['hooks'] },
      ],
    });
    expect(f.token).toBe('full');
    const path = '/repos/octocat/hello-world/actions/runners/generate-jitconfig';
    const refused = await callApi(f, 'POST', path, { token: 'no-runners', body: jitBody });
    expect(refused).toMatchObject({
      status: 403,
      body: { message: 'Resource not accessible by personal access token' },
    });
    const hooks = await callApi(f, 'GET', '/repos/octocat/hello-world/hooks', {
      token: 'no-hooks',
    });
    expect(hooks.status).toBe(404);
    expect((await callApi(f, 'POST', path, { token: 'no-hooks', body: jitBody })).status).toBe(201);
    f.assertClean();
  });
});

describe('fake GitHub: rights at read level', () => {
  // GitHub's permission table (octokit/app-permissions): GET …/actions/runners needs
  // administration read; POST …/registration-token and generate-jitconfig need write.
  const runners = '/repos/octocat/hello-world/actions/runners';
  const byPat = {
    status: 403,
    body: { message: 'Resource not accessible by personal access token' },
  };

  it('lets a read-only token list runners and refuses it every write', async () => {
    const f = await start({ tokens: ['full', { token: 'read-only', readOnly: ['runners'] }] });
    const token = 'read-only';
    expect((await callApi(f, 'GET', runners, { token })).status).toBe(200);
    expect(await callApi(f, 'POST', `${runners}/registration-token`, { token })).toMatchObject(
      byPat,
    );
    const jit = await callApi(f, 'POST', `${runners}/generate-jitconfig`, { token, body: jitBody });
    expect(jit).toMatchObject(byPat);
    expect(f.runners()).toEqual([]);
    expect((await callApi(f, 'POST', `${runners}/registration-token`)).status).toBe(201);
    f.assertClean();
  });

  it('gives an installation token asked for administration: read the same', async () => {
    const f = await start();
    const octokit = appOctokit(f, { appId, privateKey: key.privateKeyPem });
    const { data } = await octokit.rest.apps.createInstallationAccessToken({
      installation_id: 11,
      permissions: { administration: 'read' },
    });
    expect(data.permissions).toEqual({ administration: 'read' });
    const token = data.token;
    expect((await callApi(f, 'GET', runners, { token })).status).toBe(200);
    expect(await callApi(f, 'POST', `${runners}/registration-token`, { token })).toMatchObject({
      status: 403,
      body: { message: 'Resource not accessible by integration' },
    });
    f.assertClean();
  });
});

describe('fake GitHub: runner groups', () => {
  it('lists added groups and registers runners into them', async () => {
    const f = await start();
    const group = f.addRunnerGroup('acme', 'docker');
    f.addRepo({ owner: 'initech', name: 'tps', org: true });
    const foreign = f.addRunnerGroup('initech', 'elsewhere');
    const list = await callApi(f, 'GET', '/orgs/acme/actions/runner-groups');
    expect(list.body).toMatchObject({
      total_count: 2,
      runner_groups: [
        { id: 1, name: 'Default', default: true },
        { id: group, name: 'docker', default: false },
      ],
    });
    const path = '/orgs/acme/actions/runners/generate-jitconfig';
    const made = await callApi(f, 'POST', path, { body: { ...jitBody, runner_group_id: group } });
    expect(made.status).toBe(201);
    expect(f.runners()).toMatchObject([{ name: 'runner-1', runnerGroupId: group }]);
    const body = { ...jitBody, name: 'runner-2', runner_group_id: foreign };
    expect((await callApi(f, 'POST', path, { body })).status).toBe(404);
    const unknown = { ...jitBody, name: 'runner-3', runner_group_id: 999 };
    expect((await callApi(f, 'POST', path, { body: unknown })).status).toBe(404);
    expect(() => f.addRunnerGroup('nobody', 'x')).toThrow(/unknown organization/);
    f.assertClean();
  });
});

describe('fake GitHub: GHES path prefix', () => {
  it('serves the API under the prefix and the stub at the root', async () => {
    const f = await start({ pathPrefix: '/api/v3' });
    expect(f.apiUrl).toBe(`${f.url}/api/v3`);
    const octokit = appOctokit(f, { appId, privateKey: key.privateKeyPem, installationId: 11 });
    const { data } = await octokit.rest.actions.generateRunnerJitconfigForRepo({
      ...repo,
      ...jitBody,
    });
    const stubUrl = Buffer.from(data.encoded_jit_config, 'base64').toString('utf8');
    expect(stubUrl).toBe(`${f.url}/_stub/runners/runner-1`);
    expect(data.runner.id).toBe(1);
    const runners = await new Octokit({ baseUrl: f.apiUrl, auth: f.token, log: quiet }).paginate(
      'GET /repos/{owner}/{repo}/actions/runners',
      { ...repo, per_page: 1 },
    );
    expect(runners).toHaveLength(1);
    await f.queueJob({ labels: ['self-hosted'] });
    const acquired = await fetch(`${stubUrl}/acquire`, { method: 'POST' });
    expect(acquired.status).toBe(200);
    f.assertClean();
    // Without the prefix, the API is not there.
    expect((await fetch(`${f.url}/rate_limit`)).status).toBe(404);
    expect(f.unexpectedRequests).toMatchObject([{ path: '/rate_limit' }]);
    expect(() => f.assertClean()).toThrow(/GET \/rate_limit/);
  });
});

describe('fake GitHub: OpenAPI contract checking', () => {
  it('records a request body that breaks the description', async () => {
    const f = await start();
    const path = '/repos/octocat/hello-world/actions/runners/generate-jitconfig';
    const answer = await callApi(f, 'POST', path, { body: { runner_group_id: 1, labels: ['x'] } });
    expect(answer.status).toBe(422);
    expect(f.contractViolations).toEqual([
      {
        method: 'POST',
        path,
        template: '/repos/{owner}/{repo}/actions/runners/generate-jitconfig',
        where: 'request',
        errors: ["/ must have required property 'name'"],
      },
    ]);
    expect(() => f.assertClean()).toThrow(/must have required property 'name'/);
  });

  it('checks every answer of an app flow against the description', async () => {
    const f = await start();
    const octokit = appOctokit(f, { appId, privateKey: key.privateKeyPem });
    await octokit.rest.apps.listInstallations();
    await octokit.rest.apps.getInstallation({ installation_id: 12 });
    await octokit.rest.apps.createInstallationAccessToken({
      installation_id: 11,
      permissions: { administration: 'write' },
    });
    await expect(
      octokit.rest.apps.createInstallationAccessToken({
        installation_id: 12,
        permissions: { administration: 'write' },
      }),
    ).rejects.toMatchObject({ status: 422 });
    expect(f.contractViolations).toEqual([]);
    expect(f.unexpectedRequests).toEqual([]);
  });

  it('can be turned off', async () => {
    const f = await start({ contractCheck: false });
    const path = '/repos/octocat/hello-world/actions/runners/generate-jitconfig';
    await callApi(f, 'POST', path, { body: {} });
    expect(f.contractViolations).toEqual([]);
  });
});
