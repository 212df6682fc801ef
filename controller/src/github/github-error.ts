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

/** The permission each kind of call needs, named as GitHub's settings pages name them. */
export const RUNNER_RIGHTS =
  'the token needs Administration: read and write on the repository (organization: Self-hosted runners: read and write; classic token: repo, or admin:org)';
export const HOOK_RIGHTS =
  'the token needs Webhooks: read and write (classic token: admin:repo_hook or admin:org_hook)';
export const ACTIONS_RIGHTS =
  'the token needs Actions: read on the repository (classic token: repo for a private one)';

/**
 * Rewrites a refusal as a sentence naming GitHub's status, what it means and what to fix
 * (`missing`: the permission the call needs); other errors pass unchanged.
 */
export function explainRefusal(error: unknown, what: string, missing: string): unknown {
  if (classifyGitHubError(error) !== 'refused' || !(error instanceof RequestError)) return error;
  return new GitHubRefusal(`${what}: ${refusalText(error, missing)}`, error);
}

function refusalText(error: RequestError, missing: string): string {
  const said = githubMessage(error);
  const answered = `GitHub answered ${error.status}${said ? ` (${said})` : ''}`;
  switch (error.status) {
    case 401:
      return `${answered}: the token or App key is wrong, expired or revoked`;
    case 403:
      return `${answered}: the credential lacks a permission; ${missing}`;
    case 404:
      return `${answered}: ${scopeOf(error.request.url)} does not exist, or the credential cannot see it (a fine-grained token must list it under repository access, an App must be installed on it, a classic token needs the repo scope for a private repository)`;
    default:
      return answered;
  }
}

/** GitHub's own message of an error answer, if any. */
function githubMessage(error: RequestError): string | undefined {
  const data = error.response?.data;
  if (typeof data !== 'object' || data === null || !('message' in data)) return undefined;
  return typeof data.message === 'string' && data.message !== '' ? data.message : undefined;
}

/** `the repository o/r` or `the organization o` from an API URL; GHES's /api/v3 is skipped. */
function scopeOf(url: string): string {
  const path = new URL(url, 'https://api.github.com').pathname.replace(/^\/api\/v3/, '');
  const repo = /^\/repos\/([^/]+)\/([^/]+)/.exec(path);
  if (repo) return `the repository ${repo[1]}/${repo[2]}`;
  const org = /^\/orgs\/([^/]+)/.exec(path);
  return org ? `the organization ${org[1]}` : 'what it names';
}

/**
 * Why a request got no answer, from fetch's error: its `cause` holds the system error (`fetch
 * failed` alone says nothing), with the host it was for.
 */
export function networkErrorText(error: unknown, url: string | undefined): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  const code =
    typeof cause === 'object' && cause !== null && 'code' in cause && typeof cause.code === 'string'
      ? cause.code
      : undefined;
  const detail = cause instanceof Error && cause.message !== '' ? cause.message : code;
  let host = '';
  try {
    host = url === undefined ? '' : ` ${new URL(url).host}`;
  } catch {
    // not a URL: no host to name
  }
  if (detail === undefined) return host ? `cannot reach${host}: ${message}` : message;
  return `cannot reach${host}: ${detail}${code && !detail.includes(code) ? ` (${code})` : ''}`;
}
