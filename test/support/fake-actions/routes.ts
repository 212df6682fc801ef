import type { IncomingHttpHeaders } from 'node:http';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** Aborts when the client goes away (a long poll whose caller died or gave up). */
  signal: AbortSignal;
}

export interface FakeResponse {
  status: number;
  body?: unknown;
  /** Sent as text/plain (runner stub protocol), or as `contentType`. */
  text?: string;
  contentType?: string;
}

export type FakeHandler = (req: FakeRequest) => FakeResponse | Promise<FakeResponse>;

export interface FakeRoutes {
  add(method: string, path: string, handler: FakeHandler): void;
  match(
    method: string,
    path: string,
  ): { handler: FakeHandler; params: Record<string, string> } | undefined;
}

/** Routes like `/tenant/:tenant/_apis/runtime/runnerscalesets/:id`; a trailing slash is optional. */
export function createRoutes(): FakeRoutes {
  const routes: { method: string; pattern: RegExp; names: string[]; handler: FakeHandler }[] = [];
  return {
    add(method, path, handler) {
      const names: string[] = [];
      const source = path.replace(/\/+$/, '').replace(/:(\w+)/g, (_, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      routes.push({ method, pattern: new RegExp(`^${source}/?$`), names, handler });
    },
    match(method, path) {
      for (const route of routes) {
        const found = route.method === method ? route.pattern.exec(path) : null;
        if (!found) continue;
        const params = Object.fromEntries(
          route.names.map((name, i) => [name, decodeURIComponent(found[i + 1] ?? '')]),
        );
        return { handler: route.handler, params };
      }
      return undefined;
    },
  };
}

/**
 * An error as the Actions service sends it (a .NET exception: `typeName`, `message`), the
 * shape errors.go of the reference reads.
 */
export function actionsError(status: number, typeKey: string, message: string): FakeResponse {
  return {
    status,
    body: {
      $id: '1',
      innerException: null,
      message,
      typeName: `GitHub.DistributedTask.WebApi.${typeKey}, GitHub.DistributedTask.WebApi`,
      typeKey,
      errorCode: 0,
      eventId: 3000,
    },
  };
}
