import type { Permission, Principal } from './app-auth.ts';
import { githubError, notFound } from './github-error.ts';
import type { ApiResponse } from './router.ts';

export const BY_INTEGRATION = 'Resource not accessible by integration';
export const BY_PAT = 'Resource not accessible by personal access token';

/** The right a REST route needs, from its template. */
function permissionOf(template: string): Permission | undefined {
  if (template.includes('/actions/runner')) return 'runners';
  if (template.includes('/hooks')) return 'hooks';
  return undefined;
}

/**
 * GitHub's refusal of a token-authenticated REST request, undefined when allowed:
 * - an app JWT is not a token for REST resources: 403 "… by integration";
 * - an installation token outside its account: 404 for repositories (the fake's are private,
 *   and GitHub hides private repositories), 403 "… by integration" for organizations;
 * - a missing right: 403 "… by integration" / "… by personal access token"; except a personal
 *   token without admin:repo_hook on hooks, which GitHub answers 404;
 * - a right held at read level only: reads pass, anything else (registration-token,
 *   generate-jitconfig, DELETE) gets the same 403.
 */
export function accessDenied(
  auth: Principal,
  method: string,
  template: string,
  params: Record<string, string>,
): ApiResponse | undefined {
  if (auth.kind === 'app') return githubError(403, BY_INTEGRATION);
  if (auth.kind === 'installation') {
    const owner = params.org ?? params.owner;
    if (owner !== undefined && owner.toLowerCase() !== auth.grant.account.toLowerCase())
      return params.org === undefined ? notFound() : githubError(403, BY_INTEGRATION);
  }
  const needed = permissionOf(template);
  if (needed === undefined) return undefined;
  const refusal = githubError(403, auth.kind === 'installation' ? BY_INTEGRATION : BY_PAT);
  if (auth.readOnly.includes(needed) && method !== 'GET' && method !== 'HEAD') return refusal;
  if (!auth.deny.includes(needed)) return undefined;
  return needed === 'hooks' && auth.kind === 'token' ? notFound() : refusal;
}
