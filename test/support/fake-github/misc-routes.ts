import { notFound } from './github-error.ts';
import { paginate } from './paginate.ts';
import type { RateLimit } from './rate-limit.ts';
import { repositoryJson } from './repository-json.ts';
import type { Router } from './router.ts';
import { scopeOf } from './scope-of.ts';
import type { FakeState } from './state.ts';

/** Runner groups, the repository itself, and /rate_limit (which costs no quota). */
export function addMiscRoutes(
  router: Router,
  state: FakeState,
  rateLimit: RateLimit,
  baseUrl: () => string,
): void {
  router.add('GET', '/orgs/:org/actions/runner-groups', (req) => {
    const scope = scopeOf(state, req.params);
    if (scope?.kind !== 'org') return notFound();
    const group = {
      id: 1,
      name: 'Default',
      visibility: 'all',
      default: true,
      runners_url: `${baseUrl()}/orgs/${scope.org.login}/actions/runner-groups/1/runners`,
      inherited: false,
      allows_public_repositories: true,
      restricted_to_workflows: false,
      selected_workflows: [],
      workflow_restrictions_read_only: false,
    };
    return { status: 200, body: { total_count: 1, runner_groups: [group] } };
  });

  router.add('GET', '/orgs/:org/repos', (req) => {
    const scope = scopeOf(state, req.params);
    if (scope?.kind !== 'org') return notFound();
    const repos = [...state.repos.values()]
      .filter((repo) => repo.org?.id === scope.org.id)
      .sort((a, b) => a.id - b.id);
    const { page, headers } = paginate(repos, req, baseUrl());
    return { status: 200, body: page.map((repo) => repositoryJson(baseUrl(), repo)), headers };
  });

  router.add('GET', '/repos/:owner/:repo', (req) => {
    const scope = scopeOf(state, req.params);
    if (scope?.kind !== 'repo') return notFound();
    return { status: 200, body: repositoryJson(baseUrl(), scope.repo) };
  });

  router.add(
    'GET',
    '/rate_limit',
    () => {
      const core = rateLimit.snapshot();
      const other = { limit: 30, remaining: 30, reset: core.reset, used: 0 };
      const resources = { core, search: other, graphql: { ...core, limit: 5000 } };
      return { status: 200, body: { resources, rate: core } };
    },
    'free',
  );
}
