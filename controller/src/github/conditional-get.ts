import { RequestError } from '@octokit/request-error';
import type { GitHubClient } from './create-octokit.ts';

export type ConditionalGet = <T>(
  route: string,
  params: Record<string, string | number>,
) => Promise<T>;

/**
 * GETs with If-None-Match: an unchanged resource answers 304, which GitHub does not count
 * against the rate limit, and the cached body is used. The cache keeps at most `limit` entries.
 */
export function createConditionalGet(octokit: GitHubClient, limit = 2_000): ConditionalGet {
  const cache = new Map<string, { etag: string; data: unknown }>();
  return async <T>(route: string, params: Record<string, string | number>): Promise<T> => {
    const key = `${route} ${JSON.stringify(params)}`;
    const cached = cache.get(key);
    try {
      const response = await octokit.request(route, {
        ...params,
        headers: cached ? { 'if-none-match': cached.etag } : {},
      });
      const etag = response.headers.etag;
      cache.delete(key);
      if (etag) cache.set(key, { etag, data: response.data });
      if (cache.size > limit) cache.delete(cache.keys().next().value ?? '');
      return response.data as T;
    } catch (error) {
      if (cached && error instanceof RequestError && error.status === 304) {
        cache.delete(key);
        cache.set(key, cached);
        return cached.data as T;
      }
      throw error;
    }
  };
}
