import { repoKey, type FakeState, type Scope } from './state.ts';

/** The repository (`:owner/:repo`) or organization (`:org`) a route names, if it exists. */
export function scopeOf(state: FakeState, params: Record<string, string>): Scope | undefined {
  if (params.org !== undefined) {
    const org = state.orgs.get(params.org.toLowerCase());
    return org ? { kind: 'org', org } : undefined;
  }
  const repo = state.repos.get(repoKey(params.owner ?? '', params.repo ?? ''));
  return repo ? { kind: 'repo', repo } : undefined;
}
