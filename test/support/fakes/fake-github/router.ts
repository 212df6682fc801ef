import { createRouteTable, type RoutedRequest } from '../route-table.ts';
import type { Principal } from './app-auth.ts';

export interface ApiRequest extends RoutedRequest {
  /** Who the request authenticated as (absent for stub routes and anonymous requests). */
  auth?: Principal;
  /** The body as sent (stub routes take plain text). */
  rawBody: string;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  /** Sent as text/plain instead of JSON (stub protocol). */
  text?: string;
  headers?: Record<string, string>;
}

export type Handler = (req: ApiRequest) => ApiResponse | Promise<ApiResponse>;

/**
 * `api`: GitHub REST (token auth, faults, rate limit); `free`: like api but costs no quota;
 * `app`: GitHub App endpoints (app JWT, faults, no quota); `public`: public resources (a
 * public repository's releases), also without a token, then on the anonymous limit of 60 an
 * hour; `stub`: runner stub protocol.
 */
export type RouteKind = 'api' | 'free' | 'app' | 'public' | 'stub';

export interface Router {
  add: (method: string, path: string, handler: Handler, kind?: RouteKind) => void;
  match: (
    method: string,
    path: string,
  ) =>
    | { handler: Handler; kind: RouteKind; params: Record<string, string>; template: string }
    | undefined;
}

/** Routes like `/repos/:owner/:repo/hooks/:hook_id`; parameters are URL-decoded. */
export function createRouter(): Router {
  const table = createRouteTable<{ handler: Handler; kind: RouteKind }>();
  return {
    add: (method, path, handler, kind = 'api') => table.add(method, path, { handler, kind }),
    match(method, path) {
      const found = table.match(method, path);
      return (
        found && {
          handler: found.value.handler,
          kind: found.value.kind,
          params: found.params,
          template: found.template,
        }
      );
    },
  };
}
