import { RequestError } from '@octokit/request-error';
import { scopeName, type GitHubScope } from '../config/github-url.ts';
import { createOctokit, type GitHubClient, type OctokitOptions } from './create-octokit.ts';
import { GitHubRefusal } from './github-error.ts';
import { scopeRoute } from './scope-route.ts';

/**
 * The pool's client, made on first use. A GitHub App without an installation id first looks up
 * its installation on the repository or organization; a failure is retried on the next use.
 */
export function lazyClient(
  options: OctokitOptions,
  scope: GitHubScope,
): () => Promise<GitHubClient> {
  let pending: Promise<GitHubClient> | undefined;
  const build = async (): Promise<GitHubClient> => {
    const auth = options.auth;
    if (auth.kind !== 'app' || auth.installationId !== undefined) return createOctokit(options);
    const app = createOctokit(options);
    const { prefix, params } = scopeRoute(scope);
    try {
      const response = await app.request(`GET ${prefix}/installation`, params);
      const installationId = String((response.data as { id: number }).id);
      options.log.info({ installationId }, 'github app installation found');
      return createOctokit({ ...options, auth: { ...auth, installationId } });
    } catch (error) {
      if (error instanceof RequestError && error.status === 404) {
        throw new GitHubRefusal(
          `GitHub App ${auth.appId} is not installed on ${scopeName(scope)}`,
          error,
        );
      }
      throw error;
    }
  };
  return () => {
    pending ??= build().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
