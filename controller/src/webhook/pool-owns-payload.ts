import type { GitHubScope } from '../config/github-url.ts';
import type { WorkflowJobPayload } from './workflow-job-payload.ts';

/** Whether a delivery concerns the repository or organization a pool serves. */
export function poolOwnsPayload(scope: GitHubScope, payload: WorkflowJobPayload): boolean {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  if (scope.kind === 'repo')
    return same(payload.repository.full_name, `${scope.owner}/${scope.repo}`);
  const org = payload.organization?.login ?? payload.repository.owner.login;
  return same(org, scope.org);
}
