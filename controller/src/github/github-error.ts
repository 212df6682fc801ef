import { RequestError } from '@octokit/request-error';

export type GitHubErrorKind = 'unreachable' | 'rate-limited' | 'refused' | 'other';

/**
 * The one place that sorts GitHub failures: `unreachable` (network, 5xx) and `rate-limited`
 * pass by themselves and are retried; `refused` (401, 403, 404, 422) needs the operator.
 */
export function classifyGitHubError(error: unknown): GitHubErrorKind {
  if (!(error instanceof RequestError)) {
    return error instanceof Error &&
      /fetch failed|ECONNREFUSED|ETIMEDOUT|ENOTFOUND|socket/i.test(error.message)
      ? 'unreachable'
      : 'other';
  }
  if (error.status >= 500 || error.status === 0) return 'unreachable';
  if (error.status === 429) return 'rate-limited';
  if (error.status === 403 && error.response?.headers['x-ratelimit-remaining'] === '0')
    return 'rate-limited';
  if ([401, 403, 404, 422].includes(error.status)) return 'refused';
  return 'other';
}

/** A GitHub error carrying what the operator must fix; the original stays as `cause`. */
export class GitHubRefusal extends Error {
  override readonly name = 'GitHubRefusal';
  constructor(message: string, cause: unknown) {
    super(message, { cause });
  }
}

/** Rewrites a refusal as a sentence naming what is missing; other errors pass unchanged. */
export function explainRefusal(error: unknown, what: string, missing: string): unknown {
  if (classifyGitHubError(error) !== 'refused' || !(error instanceof RequestError)) return error;
  if (error.status === 401)
    return new GitHubRefusal(`${what}: GitHub refused the credentials (401)`, error);
  return new GitHubRefusal(`${what}: GitHub answered ${error.status}; ${missing}`, error);
}
