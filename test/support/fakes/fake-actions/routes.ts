import { createRouteTable, type RoutedRequest } from '../route-table.ts';

export interface FakeRequest extends RoutedRequest {
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
  const table = createRouteTable<FakeHandler>();
  return {
    add: (method, path, handler) => table.add(method, path, handler),
    match(method, path) {
      const found = table.match(method, path);
      return found && { handler: found.value, params: found.params };
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
