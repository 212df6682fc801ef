import type { Scope } from './state.ts';

/** The API path of a repository or organization: `/repos/o/r` or `/orgs/o`. */
export function scopePath(scope: Scope): string {
  return scope.kind === 'repo'
    ? `/repos/${scope.repo.owner}/${scope.repo.name}`
    : `/orgs/${scope.org.login}`;
}
