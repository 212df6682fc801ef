import type { GitHubScope } from '../config/github-url.ts';

/** The route prefix and its parameters for a repository or an organization. */
export function scopeRoute(scope: GitHubScope): { prefix: string; params: Record<string, string> } {
  return scope.kind === 'repo'
    ? { prefix: '/repos/{owner}/{repo}', params: { owner: scope.owner, repo: scope.repo } }
    : { prefix: '/orgs/{org}', params: { org: scope.org } };
}
