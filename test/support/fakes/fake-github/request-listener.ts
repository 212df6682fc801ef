import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { accessDenied } from './access.ts';
import { createApiUsageRecord, type ApiUsageRecord, type UsageTicket } from './api-usage.ts';
import { JWT_UNDECODABLE, type AppAuth } from './app-auth.ts';
import type { ContractChecker } from './contract.ts';
import type { Faults } from './faults.ts';
import { githubError } from './github-error.ts';
import { createRateLimit, type RateLimit } from './rate-limit.ts';
import type { ApiResponse, Router } from './router.ts';
import { createSecondaryLimits, credentialOf, type SecondaryLimits } from './secondary-limits.ts';
import type { FakeState } from './state.ts';

export interface ListenerDeps {
  router: Router;
  state: FakeState;
  rateLimit: RateLimit;
  /** The limit of requests without a token (public routes); 60 an hour unless given. */
  anonymousRateLimit?: RateLimit;
  faults: Faults;
  auth: AppAuth;
  baseUrl: () => string;
  /** GHES-style prefix of every API route (e.g. `/api/v3`), '' for api.github.com. */
  pathPrefix?: string;
  /** Checks requests and answers against the OpenAPI description; off when absent. */
  contract?: ContractChecker;
  /** Secondary rate limits per credential; only forced ones when absent. */
  secondaryLimits?: SecondaryLimits;
  /** Where every API request is recorded with its credential. */
  usage?: ApiUsageRecord;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string, contentType: string | undefined): { value: unknown } | undefined {
  if (text === '' || !(contentType ?? 'application/json').includes('json')) return { value: {} };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

interface Outcome {
  res: ApiResponse;
  kind?: string;
  /** Set when the route's handler (not auth, a fault or the rate limit) answered. */
  handled?: boolean;
  /** Refused by the secondary limits: no primary quota spent. */
  secondaryLimited?: boolean;
  contract?: { template: string; requestBody: unknown };
}

/** What a request holds until its connection closes: its usage entry, its concurrency slot. */
interface Held {
  usage?: UsageTicket;
  release?: () => void;
}

/**
 * Auth, secondary limits, faults, rate limit, ETag/304, logging around the routes; one place
 * writes responses.
 */
export function createRequestListener(deps: ListenerDeps) {
  const { router, state, rateLimit, faults, auth, contract } = deps;
  const secondary = deps.secondaryLimits ?? createSecondaryLimits(undefined);
  const usage = deps.usage ?? createApiUsageRecord();
  // GitHub allows 60 requests an hour without a token.
  const anonymousLimit = deps.anonymousRateLimit ?? createRateLimit(60);
  const prefix = deps.pathPrefix ?? '';

  /** API routes live under the prefix, the stub's at the root. */
  function matchRoute(method: string, pathname: string) {
    if (prefix === '' || pathname === prefix || pathname.startsWith(`${prefix}/`)) {
      const apiPath = pathname.slice(prefix.length) || '/';
      const route = router.match(method, apiPath);
      if (route && (route.kind !== 'stub' || prefix === '')) return { route, apiPath };
    }
    const stub = router.match(method, pathname);
    return stub?.kind === 'stub' ? { route: stub, apiPath: pathname } : undefined;
  }

  async function respond(req: IncomingMessage, held: Held): Promise<Outcome> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const matched = matchRoute(method, url.pathname);
    const text = await readBody(req);
    if (!matched) return { res: githubError(404, 'Not Found') };
    const { route, apiPath } = matched;
    const kind = route.kind;
    const body = parseJson(text, req.headers['content-type']);
    const checked =
      kind === 'stub'
        ? undefined
        : { template: route.template, requestBody: text === '' ? undefined : body?.value };
    const early = (res: ApiResponse): Outcome => ({
      res,
      kind,
      ...(checked && { contract: checked }),
    });
    let principal = undefined;
    // A public resource asked for without a token: GitHub's anonymous access, by address.
    const anonymous = kind === 'public' && req.headers.authorization === undefined;
    if (kind !== 'stub') {
      const who = anonymous ? undefined : auth.authenticate(req.headers.authorization);
      if (who && !('kind' in who)) return early(who);
      // App endpoints take the app's JWT only; REST resources take tokens.
      if (kind === 'app' && who?.kind !== 'app') return early(githubError(401, JWT_UNDECODABLE));
      principal = who;
      const credential = credentialOf(who);
      const limited = { credential, method, path: apiPath, route: route.template };
      held.usage = usage.begin(limited);
      const admission = secondary.admit(limited);
      if (!admission.admitted) return { ...early(admission.response), secondaryLimited: true };
      held.release = admission.release;
      const fault = faults.take(`${method} ${apiPath}`);
      if (fault === 'hang') return new Promise<Outcome>(() => undefined);
      if (fault) return early(fault);
      const limit = anonymous ? anonymousLimit : rateLimit;
      if ((kind === 'api' || kind === 'public') && limit.exhausted()) {
        return early(githubError(403, 'API rate limit exceeded for user ID 1.'));
      }
      if (who && kind !== 'app') {
        const denied = accessDenied(who, method, route.template, route.params);
        if (denied) return early(denied);
      }
    }
    if (!body) return early(githubError(400, 'Problems parsing JSON'));
    const res = await route.handler({
      method,
      path: apiPath,
      query: url.searchParams,
      params: route.params,
      headers: req.headers,
      body: body.value,
      rawBody: text,
      ...(principal && { auth: principal }),
    });
    return { ...early(res), handled: true };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const held: Held = {};
    let status: number | undefined;
    let secondaryLimited = false;
    // A hanging request holds its slot until the client gives up or the fake closes.
    res.once('close', () => {
      held.release?.();
      held.usage?.end(status, secondaryLimited);
    });
    let outcome: Outcome;
    try {
      outcome = await respond(req, held);
    } catch (error) {
      // A throwing handler is a bug in the fake: surface it through unexpectedRequests too.
      outcome = { res: githubError(500, `fake-github: ${String(error)}`) };
    }
    const { res: answer, kind } = outcome;
    const anonymous = kind === 'public' && req.headers.authorization === undefined;
    const limit = anonymous ? anonymousLimit : rateLimit;
    status = answer.status;
    secondaryLimited = outcome.secondaryLimited === true;
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
    const spends = (kind === 'api' || kind === 'public') && !secondaryLimited;
    if (spends && status !== 304 && status !== 401) limit.consume();
    const headers: Record<string, string> = {
      'x-github-request-id': randomUUID().toUpperCase(),
      ...(kind !== undefined && kind !== 'stub' ? limit.headers() : {}),
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
    if (contract && outcome.contract) {
      const { template, requestBody } = outcome.contract;
      const { method, path } = entry;
      try {
        const response = outcome.handled ? { status: answer.status, body: answer.body } : undefined;
        const violations = contract({ method, path, template, requestBody, response });
        state.contractViolations.push(...violations);
      } catch (error) {
        const errors = [`contract check failed: ${String(error)}`];
        state.contractViolations.push({ method, path, template, where: 'response', errors });
      }
    }
    res.writeHead(status, headers);
    res.end(status === 304 || status === 204 ? undefined : payload);
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    void handle(req, res);
  };
}
