import type { IncomingHttpHeaders } from 'node:http';

/** What both fakes' handlers get of a request. */
export interface RoutedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The route's `:name` parts, URL-decoded. */
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export type RouteTable<T> = {
  add(method: string, path: string, value: T): void;
  match(
    method: string,
    path: string,
  ): { value: T; params: Record<string, string>; template: string } | undefined;
};

/**
 * Routes like `/repos/:owner/:repo/hooks/:hook_id`, each with what it serves; a trailing slash
 * is optional, parameters are URL-decoded, and `template` is the OpenAPI-style path
 * (`/repos/{owner}/{repo}/hooks/{hook_id}`).
 */
export function createRouteTable<T>(): RouteTable<T> {
  const routes: { method: string; pattern: RegExp; names: string[]; template: string; value: T }[] =
    [];
  return {
    add(method, path, value) {
      const names: string[] = [];
      const source = path.replace(/\/+$/, '').replace(/:(\w+)/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      const template = path.replace(/:(\w+)/g, '{$1}');
      routes.push({ method, pattern: new RegExp(`^${source}/?$`), names, template, value });
    },
    match(method, path) {
      for (const route of routes) {
        const found = route.method === method ? route.pattern.exec(path) : null;
        if (!found) continue;
        const params = Object.fromEntries(
          route.names.map((name, i) => [name, decodeURIComponent(found[i + 1] ?? '')]),
        );
        return { value: route.value, params, template: route.template };
      }
      return undefined;
    },
  };
}
