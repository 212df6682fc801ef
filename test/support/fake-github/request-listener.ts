import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Faults } from './faults.ts';
import { githubError } from './github-error.ts';
import type { RateLimit } from './rate-limit.ts';
import type { ApiResponse, Router } from './router.ts';
import type { FakeState } from './state.ts';

export interface ListenerDeps {
  router: Router;
  state: FakeState;
  rateLimit: RateLimit;
  faults: Faults;
  tokens: Set<string>;
  baseUrl: () => string;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function isAuthorized(header: string | undefined, tokens: Set<string>): boolean {
  const found = /^(?:token|bearer)\s+(\S+)$/i.exec(header ?? '');
  return found?.[1] !== undefined && tokens.has(found[1]);
}

function parseJson(text: string, contentType: string | undefined): { value: unknown } | undefined {
  if (text === '' || !(contentType ?? 'application/json').includes('json')) return { value: {} };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

/** Auth, faults, rate limit, ETag/304, logging around the routes; one place writes responses. */
export function createRequestListener(deps: ListenerDeps) {
  const { router, state, rateLimit, faults, tokens } = deps;

  async function respond(req: IncomingMessage): Promise<{ res: ApiResponse; kind?: string }> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const route = router.match(method, url.pathname);
    const text = await readBody(req);
    if (!route) return { res: githubError(404, 'Not Found') };
    if (route.kind !== 'stub') {
      if (!isAuthorized(req.headers.authorization, tokens))
        return { res: githubError(401, 'Bad credentials'), kind: route.kind };
      const fault = faults.take(`${method} ${url.pathname}`);
      if (fault) return { res: fault, kind: route.kind };
      if (route.kind === 'api' && rateLimit.exhausted()) {
        const message = 'API rate limit exceeded for user ID 1.';
        return { res: githubError(403, message), kind: route.kind };
      }
    }
    const body = parseJson(text, req.headers['content-type']);
    if (!body) return { res: githubError(400, 'Problems parsing JSON'), kind: route.kind };
    const res = await route.handler({
      method,
      path: url.pathname,
      query: url.searchParams,
      params: route.params,
      headers: req.headers,
      body: body.value,
    });
    return { res, kind: route.kind };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    let outcome: { res: ApiResponse; kind?: string };
    try {
      outcome = await respond(req);
    } catch (error) {
      // A throwing handler is a bug in the fake: surface it through unexpectedRequests too.
      outcome = { res: githubError(500, `fake-github: ${String(error)}`) };
    }
    const { res: answer, kind } = outcome;
    let status = answer.status;
    let payload = answer.text ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
    const contentType =
      answer.text !== undefined ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
    let etag: string | undefined;
    if (req.method === 'GET' && status === 200 && kind !== 'stub') {
      etag = `W/"${createHash('sha256').update(payload).digest('hex').slice(0, 40)}"`;
      if (req.headers['if-none-match'] === etag) {
        status = 304;
        payload = '';
      }
    }
    // Conditional requests answered 304 cost nothing, as on GitHub.
    if (kind === 'api' && status !== 304 && status !== 401) rateLimit.consume();
    const headers: Record<string, string> = {
      'x-github-request-id': randomUUID().toUpperCase(),
      ...(kind === 'api' || kind === 'free' ? rateLimit.headers() : {}),
      ...(payload === '' ? {} : { 'content-type': contentType }),
      ...(etag ? { etag } : {}),
      ...answer.headers,
    };
    const entry = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status,
      at: Date.now(),
    };
    state.requests.push(entry);
    if (kind === undefined) state.unexpectedRequests.push(entry);
    res.writeHead(status, headers);
    res.end(status === 304 || status === 204 ? undefined : payload);
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    void handle(req, res);
  };
}
