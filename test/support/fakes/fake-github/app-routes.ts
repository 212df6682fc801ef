import { z } from 'zod';
import type { AppAuth, AppInstallationInput, FakeApp, Permission } from './app-auth.ts';
import { githubError, notFound } from './github-error.ts';
import type { ApiRequest, Router } from './router.ts';
import { simpleUserJson } from './simple-user-json.ts';
import { repoKey, type FakeState } from './state.ts';

const CREATED_AT = '2024-01-01T00:00:00Z';

const RIGHTS: Record<Permission, string[]> = {
  runners: ['administration', 'organization_self_hosted_runners'],
  hooks: ['repository_hooks', 'organization_hooks'],
};

/** What an installation is granted: `deny` takes rights away, `readOnly` leaves them at read. */
function permissionsJson(
  installation: Pick<AppInstallationInput, 'deny' | 'readOnly'>,
): Record<string, 'read' | 'write'> {
  const granted: Record<string, 'read' | 'write'> = { actions: 'read', metadata: 'read' };
  for (const [right, names] of Object.entries(RIGHTS) as [Permission, string[]][]) {
    if (installation.deny?.includes(right)) continue;
    const level = installation.readOnly?.includes(right) ? 'read' : 'write';
    for (const name of names) granted[name] = level;
  }
  return granted;
}

const TokenBody = z.object({
  repositories: z.array(z.string()).optional(),
  repository_ids: z.array(z.number().int()).optional(),
  permissions: z.record(z.string(), z.enum(['read', 'write', 'admin'])).optional(),
});

/** GitHub App endpoints (app JWT): the app, its installations, installation access tokens. */
export function addAppRoutes(
  router: Router,
  state: FakeState,
  auth: AppAuth,
  apiUrl: () => string,
): void {
  const account = (login: string) => {
    const org = state.orgs.get(login.toLowerCase());
    if (org) return { login: org.login, id: org.id, type: 'Organization' };
    const repo = [...state.repos.values()].find(
      (r) => r.owner.toLowerCase() === login.toLowerCase(),
    );
    if (repo) return { login: repo.owner, id: repo.id + 1_000_000, type: 'User' };
    let hash = 0;
    for (const char of login.toLowerCase()) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_000;
    return { login, id: 8_000_000 + hash, type: 'User' };
  };

  const installationJson = (app: FakeApp, installation: AppInstallationInput) => {
    const owner = account(installation.account);
    const html =
      owner.type === 'Organization'
        ? `https://github.com/organizations/${owner.login}/settings/installations/${installation.id}`
        : `https://github.com/settings/installations/${installation.id}`;
    return {
      id: installation.id,
      account: simpleUserJson(apiUrl(), owner.login, owner.id, owner.type),
      repository_selection: 'all',
      access_tokens_url: `${apiUrl()}/app/installations/${installation.id}/access_tokens`,
      repositories_url: `${apiUrl()}/installation/repositories`,
      html_url: html,
      app_id: app.id,
      app_slug: app.slug,
      target_id: owner.id,
      target_type: owner.type,
      permissions: permissionsJson(installation),
      events: ['workflow_job'],
      created_at: CREATED_AT,
      updated_at: CREATED_AT,
      single_file_name: null,
      has_multiple_single_files: false,
      single_file_paths: [],
      suspended_by: null,
      suspended_at: null,
    };
  };

  const appOf = (req: ApiRequest): FakeApp => {
    if (req.auth?.kind !== 'app') throw new Error('fake-github: app route without an app JWT');
    return req.auth.app;
  };
  const installedOn = (app: FakeApp, login: string) =>
    app.installations.find((i) => i.account.toLowerCase() === login.toLowerCase());
  const found = (app: FakeApp, installation: AppInstallationInput | undefined) =>
    installation ? { status: 200, body: installationJson(app, installation) } : notFound();

  router.add(
    'GET',
    '/app',
    (req) => {
      const app = appOf(req);
      const owner = account(app.installations[0]?.account ?? 'octocat');
      return {
        status: 200,
        body: {
          id: app.id,
          slug: app.slug,
          node_id: Buffer.from(`03:Integration${app.id}`).toString('base64'),
          client_id: `Iv1.${app.id.toString(16).padStart(16, '0')}`,
          owner: simpleUserJson(apiUrl(), owner.login, owner.id, owner.type),
          name: app.slug,
          description: null,
          external_url: 'https://example.invalid',
          html_url: `https://github.com/apps/${app.slug}`,
          created_at: CREATED_AT,
          updated_at: CREATED_AT,
          permissions: permissionsJson({}),
          events: ['workflow_job'],
          installations_count: app.installations.length,
        },
      };
    },
    'app',
  );

  router.add(
    'GET',
    '/app/installations',
    (req) => {
      const app = appOf(req);
      return { status: 200, body: app.installations.map((i) => installationJson(app, i)) };
    },
    'app',
  );

  router.add(
    'GET',
    '/app/installations/:installation_id',
    (req) => {
      const app = appOf(req);
      const id = Number(req.params.installation_id);
      return found(
        app,
        app.installations.find((i) => i.id === id),
      );
    },
    'app',
  );

  router.add(
    'POST',
    '/app/installations/:installation_id/access_tokens',
    (req) => {
      const app = appOf(req);
      const id = Number(req.params.installation_id);
      const installation = app.installations.find((i) => i.id === id);
      if (!installation) return notFound();
      const body = TokenBody.safeParse(req.body);
      if (!body.success) return githubError(422, 'Invalid request.');
      const granted = permissionsJson(installation);
      const requested = body.data.permissions;
      const rank = { read: 1, write: 2, admin: 3 } as const;
      for (const [name, level] of Object.entries(requested ?? {})) {
        const has = granted[name];
        if (has === undefined || rank[has] < rank[level])
          return githubError(
            422,
            'The permissions requested are not granted to this installation.',
          );
      }
      // A token asked for with `permissions` has only those, at the level asked for.
      const deny = new Set(installation.deny ?? []);
      const readOnly = new Set(installation.readOnly ?? []);
      if (requested) {
        for (const [right, names] of Object.entries(RIGHTS) as [Permission, string[]][]) {
          const levels = names.flatMap((name) => requested[name] ?? []);
          if (levels.length === 0) deny.add(right);
          else if (levels.every((level) => level === 'read')) readOnly.add(right);
        }
      }
      const grant = auth.issue(app, installation, { deny: [...deny], readOnly: [...readOnly] });
      const selected = body.data.repositories ?? body.data.repository_ids;
      return {
        status: 201,
        body: {
          token: grant.token,
          expires_at: new Date(grant.expiresAt).toISOString().replace(/\.\d+Z$/, 'Z'),
          permissions: requested ?? granted,
          repository_selection: selected ? 'selected' : 'all',
        },
      };
    },
    'app',
  );

  router.add(
    'GET',
    '/repos/:owner/:repo/installation',
    (req) => {
      const app = appOf(req);
      const repo = state.repos.get(repoKey(req.params.owner ?? '', req.params.repo ?? ''));
      return repo ? found(app, installedOn(app, repo.owner)) : notFound();
    },
    'app',
  );

  router.add(
    'GET',
    '/orgs/:org/installation',
    (req) => {
      const app = appOf(req);
      const org = state.orgs.get((req.params.org ?? '').toLowerCase());
      return org ? found(app, installedOn(app, org.login)) : notFound();
    },
    'app',
  );

  router.add(
    'GET',
    '/users/:username/installation',
    (req) => found(appOf(req), installedOn(appOf(req), req.params.username ?? '')),
    'app',
  );
}
