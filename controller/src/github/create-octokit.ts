import { Octokit } from '@octokit/rest';
import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type { Logger } from 'pino';
import type { GitHubAuth } from '../config/load-config.ts';

const GitHubClient = Octokit.plugin(throttling, retry);
export type GitHubClient = InstanceType<typeof GitHubClient>;

/** One HTTP attempt: its status (undefined: no answer) and the rate limit it reported. */
export type Attempt = {
  status: number | undefined;
  rateLimitRemaining: number | undefined;
  error: string | undefined;
};

export type OctokitOptions = {
  apiUrl: string;
  auth: GitHubAuth;
  log: Logger;
  userAgent?: string;
  fetch?: typeof fetch;
  /** How often a rate-limited request is tried again before it fails. */
  rateLimitRetries?: number;
  /** Told of every HTTP attempt (retries included). */
  onAttempt?: (attempt: Attempt) => void;
};

/** An Octokit that waits out rate limits as GitHub documents and retries server errors. */
export function createOctokit(options: OctokitOptions): GitHubClient {
  const { log } = options;
  const retries = options.rateLimitRetries ?? 3;
  const onLimit =
    (kind: string) =>
    (
      retryAfter: number,
      request: { method: string; url: string },
      _octokit: unknown,
      retryCount: number,
    ) => {
      log.warn(
        { kind, retryAfter, method: request.method, url: request.url, retryCount },
        'github rate limit hit',
      );
      return retryCount < retries;
    };
  const auth =
    options.auth.kind === 'token'
      ? { auth: options.auth.token }
      : {
          authStrategy: createAppAuth,
          auth: {
            appId: options.auth.appId,
            privateKey: options.auth.privateKey,
            ...(options.auth.installationId ? { installationId: options.auth.installationId } : {}),
          },
        };
  return new GitHubClient({
    ...auth,
    baseUrl: options.apiUrl,
    userAgent: options.userAgent ?? 'runner-autoscaler',
    // Octokit logs every request; a failed one (a conditional poll's 304, an expected 404) at
    // error level. The controller logs what a failure means where it handles it, so the
    // per-request lines are debug detail.
    log: {
      debug: () => {},
      info: (message: string) => log.debug({ source: 'octokit' }, message),
      warn: (message: string) => log.warn({ source: 'octokit' }, message),
      error: (message: string) => log.debug({ source: 'octokit' }, message),
    },
    request: { fetch: observedFetch(options.fetch ?? fetch, options.onAttempt) },
    throttle: { onRateLimit: onLimit('primary'), onSecondaryRateLimit: onLimit('secondary') },
    retry: { doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451] },
  });
}

function observedFetch(base: typeof fetch, onAttempt: OctokitOptions['onAttempt']): typeof fetch {
  if (!onAttempt) return base;
  return async (input, init) => {
    try {
      const response = await base(input, init);
      const remaining = response.headers.get('x-ratelimit-remaining');
      onAttempt({
        status: response.status,
        rateLimitRemaining: remaining === null ? undefined : Number(remaining),
        error: response.status >= 500 ? `GitHub answered ${response.status}` : undefined,
      });
      return response;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      onAttempt({ status: undefined, rateLimitRemaining: undefined, error: message });
      throw error;
    }
  };
}
