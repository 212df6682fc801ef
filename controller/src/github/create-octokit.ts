import { Octokit } from '@octokit/rest';
import { createAppAuth } from '@octokit/auth-app';
import type { Logger } from 'pino';
import type { GitHubAuth } from '../config/load-config.ts';
import { requestKind, type CredentialPace } from './credential-pace.ts';
import { networkErrorText } from './github-error.ts';
import { RETRY_LIMITS, rateLimitOf, retryAfter, type RateLimit } from './request-retry.ts';

export type GitHubClient = Octokit;

/** One HTTP attempt: its status (undefined: no answer) and the rate limit it reported. */
export type Attempt = {
  status: number | undefined;
  rateLimitRemaining: number | undefined;
  error: string | undefined;
  /** GitHub answered a secondary rate limit. */
  secondaryLimit?: boolean;
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
  /** The credential's pace: every request waits for it; a secondary-limit answer slows it. */
  pace?: CredentialPace;
};

/** Requests that fetch an installation token: the auth strategy's own, never paced. */
const AUTH_PATH = /^\/app\/installations\/[^/]+\/access_tokens$/;

/**
 * An Octokit whose every request waits for its credential's pace, and is tried again after a
 * rate limit (once the pace allows) or a server error (1, 4, 9 s). Octokit's throttling and retry
 * plugins did this with a Bottleneck queue per request: 17 to 26 ms and 17 timers per request
 * before it was sent, measured, and their write queue was one a second per process.
 */
export function createOctokit(options: OctokitOptions): GitHubClient {
  const { log } = options;
  const limits = { ...RETRY_LIMITS, rateLimitRetries: options.rateLimitRetries ?? 3 };
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
  const client = new Octokit({
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
    request: {
      fetch: observedFetch(options.fetch ?? fetch, options.onAttempt, options.pace),
    },
  });
  const pace = options.pace;
  client.hook.wrap('request', async (request, route) => {
    const paced =
      pace !== undefined && !AUTH_PATH.test(new URL(route.url, 'http://github.test').pathname);
    for (let attempt = 0; ; attempt += 1) {
      const release = paced ? await pace.acquire(requestKind(route.method)) : undefined;
      let waitMs: number;
      try {
        return await request(route);
      } catch (error) {
        const retry = retryAfter(error, attempt, Date.now(), limits);
        if (!retry) throw error;
        if (retry.kind !== 'server') {
          log.warn(
            {
              kind: retry.kind,
              retryAfter: Math.ceil(retry.waitMs / 1000),
              method: route.method,
              url: route.url,
              retryCount: attempt,
            },
            'github rate limit hit',
          );
        }
        // A paced credential was paused by the answer itself and the next acquire waits that
        // out; only what the pause does not cover (no reset header, a clock ahead) is slept here.
        waitMs =
          paced && retry.kind !== 'server'
            ? Math.max(0, retry.waitMs - pace.state().pausedForMs)
            : retry.waitMs;
      } finally {
        // The slot is free while the retry waits.
        release?.();
      }
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  });
  return client;
}

/**
 * What an answer says about the credential's pace: a secondary limit pauses it for as long as
 * GitHub asked and slows it; a primary limit used up pauses it until its reset.
 */
async function notePace(
  response: Response,
  pace: CredentialPace | undefined,
): Promise<RateLimit['kind'] | undefined> {
  if (response.status !== 403 && response.status !== 429) return undefined;
  const body = await response
    .clone()
    .text()
    .catch(() => '');
  const limit = rateLimitOf(
    response.status,
    (name) => response.headers.get(name),
    body,
    Date.now(),
  );
  if (limit?.kind === 'secondary') pace?.penalize(limit.waitMs ?? 0);
  if (limit?.kind === 'primary' && limit.waitMs !== undefined) pace?.pause(limit.waitMs);
  return limit?.kind;
}

function observedFetch(
  base: typeof fetch,
  onAttempt: OctokitOptions['onAttempt'],
  pace: CredentialPace | undefined,
): typeof fetch {
  if (!onAttempt && !pace) return base;
  return async (input, init) => {
    try {
      const response = await base(input, init);
      const limit = await notePace(response, pace);
      const remaining = response.headers.get('x-ratelimit-remaining');
      onAttempt?.({
        ...(limit === 'secondary' ? { secondaryLimit: true } : {}),
        status: response.status,
        rateLimitRemaining: remaining === null ? undefined : Number(remaining),
        error: response.status >= 500 ? `GitHub answered ${response.status}` : undefined,
      });
      return response;
    } catch (error) {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const message = networkErrorText(error, url);
      onAttempt?.({ status: undefined, rateLimitRemaining: undefined, error: message });
      throw error;
    }
  };
}
