import type { IncomingMessage, ServerResponse } from 'node:http';
import { actionsError, type FakeResponse, type FakeRoutes } from './routes.ts';
import type { FakeActionsRequest, FakeActionsState } from './state.ts';

export interface FakeActionsFault {
  status: number;
  /** The exception name in the error body; `VssUnauthorizedException` for 401 etc. */
  typeKey?: string;
  message?: string;
  /** Only requests whose `METHOD /path` matches; every request when absent. */
  match?: RegExp;
  /** How many matching requests fail; 1. */
  count?: number;
}

const defaultTypeKeys: Record<number, string> = {
  401: 'VssUnauthorizedException',
  404: 'RunnerScaleSetNotFoundException',
  409: 'TaskAgentSessionConflictException',
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Faults, logging and JSON around the routes; the one place that writes responses. */
export function createRequestListener(routes: FakeRoutes, state: FakeActionsState) {
  let faults: { fault: FakeActionsFault; left: number }[] = [];

  function takeFault(methodAndPath: string): FakeResponse | undefined {
    const entry = faults.find((f) => f.fault.match?.test(methodAndPath) ?? true);
    if (!entry) return undefined;
    entry.left -= 1;
    if (entry.left <= 0) faults = faults.filter((f) => f !== entry);
    const { status, typeKey, message } = entry.fault;
    return actionsError(
      status,
      typeKey ?? defaultTypeKeys[status] ?? 'VssServiceException',
      message ?? 'injected fault',
    );
  }

  async function respond(req: IncomingMessage, signal: AbortSignal) {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const text = await readBody(req);
    const route = routes.match(method, url.pathname);
    if (!route) return { answer: { status: 404, text: 'no such route' }, matched: false };
    const fault = url.pathname.startsWith('/_stub/')
      ? undefined
      : takeFault(`${method} ${url.pathname}`);
    if (fault) return { answer: fault, matched: true };
    let body: unknown;
    try {
      body = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      return { answer: actionsError(400, 'ArgumentException', 'body is not JSON'), matched: true };
    }
    const answer = await route.handler({
      method,
      path: url.pathname,
      query: url.searchParams,
      params: route.params,
      headers: req.headers,
      body,
      signal,
    });
    return { answer, matched: true };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    // A long poll whose caller went away (stopped, killed) stops waiting.
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    let outcome: { answer: FakeResponse; matched: boolean };
    try {
      outcome = await respond(req, gone.signal);
    } catch (error) {
      outcome = {
        answer: actionsError(500, 'VssServiceException', `fake-actions: ${String(error)}`),
        matched: false,
      };
    }
    const { answer } = outcome;
    const capacity = req.headers['x-scalesetmaxcapacity'];
    const entry: FakeActionsRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: answer.status,
      ...(typeof capacity === 'string' ? { capacity: Number(capacity) } : {}),
      at: Date.now(),
    };
    state.requests.push(entry);
    if (!outcome.matched) state.unexpectedRequests.push(entry);
    if (res.destroyed) return;
    const payload = answer.text ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
    res.writeHead(answer.status, {
      ...(payload === ''
        ? {}
        : {
            'content-type':
              answer.text === undefined ? 'application/json; charset=utf-8' : 'text/plain',
          }),
      activityid: crypto.randomUUID(),
    });
    res.end(answer.status === 204 ? undefined : payload);
  }

  return {
    listener: (req: IncomingMessage, res: ServerResponse): void => {
      void handle(req, res);
    },
    failNext(fault: FakeActionsFault): void {
      faults.push({ fault, left: fault.count ?? 1 });
    },
    clearFaults(): void {
      faults = [];
    },
  };
}
