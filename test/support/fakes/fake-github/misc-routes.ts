import { notFound } from './github-error.ts';
import { paginate } from './paginate.ts';
import type { RateLimit } from './rate-limit.ts';
import { fullRepositoryJson, repositoryJson } from './repository-json.ts';
import type { Router } from './router.ts';
import { scopeOf } from './scope-of.ts';
import type { FakeOrg, FakeState } from './state.ts';

/** Runner groups, the repository itself, and /rate_limit (which costs no quota). */
export function addMiscRoutes(
  router: Router,
  state: FakeState,
  rateLimit: RateLimit,
  baseUrl: () => string,
): void {
  const groupsOf = (org: FakeOrg) => [
    { id: 1, name: 'Default' },
    ...[...state.runnerGroups.values()].filter((group) => group.org.id === org.id),
  ];
  const groupJson = (org: FakeOrg, group: { id: number; name: string }) => ({
    id: group.id,
    name: group.name,
    visibility: 'all',
    default: group.id === 1,
    runners_url: `${baseUrl()}/orgs/${org.login}/actions/runner-groups/${group.id}/runners`,
    inherited: false,
    allows_public_repositories: group.id === 1,
    restricted_to_workflows: false,
    selected_workflows: [],
    workflow_restrictions_read_only: false,
  });

  router.add('GET', '/orgs/:org/actions/runner-groups', (req) => {
    const scope = scopeOf(state, req.params);
    if (scope?.kind !== 'org') return notFound();
    const groups = groupsOf(scope.org);
    const { page, headers } = paginate(groups, req, baseUrl());
    const body = {
      total_count: groups.length,
      runner_groups: page.map((group) => groupJson(scope.org, group)),
    };
    return { status: 200, body, headers };
  });

  router.add('GET', '/orgs/:org/actions/runner-groups/:runner_group_id', (req) => {
    const scope = scopeOf(state, req.params);
    if (scope?.kind !== 'org') return notFound();
    const group = groupsOf(scope.org).find((g) => String(g.id) === req.params.runner_group_id);
    return group ? { status: 200, body: groupJson(scope.org, group) } : notFound();
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
    return { status: 200, body: fullRepositoryJson(baseUrl(), scope.repo) };
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
