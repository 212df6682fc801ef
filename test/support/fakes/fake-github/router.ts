import type { IncomingHttpHeaders } from 'node:http';
import type { Principal } from './app-auth.ts';

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
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

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  kind: RouteKind;
  handler: Handler;
  /** OpenAPI-style template, e.g. `/repos/{owner}/{repo}/hooks/{hook_id}`. */
  template: string;
}

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
  const routes: Route[] = [];
  return {
    add(method, path, handler, kind = 'api') {
      const names: string[] = [];
      const source = path.replace(/:(\w+)/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      const template = path.replace(/:(\w+)/g, '{$1}');
      routes.push({ method, pattern: new RegExp(`^${source}/?$`), names, kind, handler, template });
    },
    match(method, path) {
      for (const route of routes) {
        const found = route.method === method ? route.pattern.exec(path) : null;
        if (!found) continue;
        const params = Object.fromEntries(
          route.names.map((name, i) => [name, decodeURIComponent(found[i + 1] ?? '')]),
        );
        return { handler: route.handler, kind: route.kind, params, template: route.template };
      }
      return undefined;
    },
  };
}
