import { RequestError } from '@octokit/request-error';

/** A typed GET of one endpoint (an `octokit.rest` method), sent with the headers given. */
export type GetRequest<P, D> = (
  params: P,
  headers: Record<string, string>,
) => Promise<{ data: D; headers: { etag?: string | undefined } }>;

export type ConditionalGets = {
  /** Conditional GETs of one endpoint, with their answers kept in the shared cache. */
  of<P, D>(request: GetRequest<P, D>): (params: P) => Promise<D>;
};

/**
 * GETs with If-None-Match: an unchanged resource answers 304, which GitHub does not count
 * against the rate limit, and the cached body is used. The endpoints of one client share a
 * cache of at most `limit` bodies, the least recently used forgotten first.
 */
export function createConditionalGets(limit = 2_000): ConditionalGets {
  /** Every cached body, least recently used first, with how to forget it. */
  const order = new Map<string, () => void>();
  let endpoints = 0;
  return {
    of<P, D>(request: GetRequest<P, D>): (params: P) => Promise<D> {
      const endpoint = endpoints++;
      const cache = new Map<string, { etag: string; data: D }>();
      const forget = (key: string) => {
        cache.delete(key);
        order.delete(`${endpoint} ${key}`);
      };
      const keep = (key: string, entry: { etag: string; data: D }) => {
        forget(key);
        cache.set(key, entry);
        order.set(`${endpoint} ${key}`, () => forget(key));
        if (order.size > limit) order.values().next().value?.();
      };
      return async (params: P): Promise<D> => {
        const key = JSON.stringify(params);
        const cached = cache.get(key);
        try {
          const response = await request(params, cached ? { 'if-none-match': cached.etag } : {});
          const etag = response.headers.etag;
          if (etag) keep(key, { etag, data: response.data });
          else forget(key);
          return response.data;
        } catch (error) {
          if (cached && error instanceof RequestError && error.status === 304) {
            keep(key, cached);
            return cached.data;
          }
          throw error;
        }
      };
    },
  };
}
