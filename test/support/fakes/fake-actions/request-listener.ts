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

/**
 * The service out of reach until `endOutage()`: `status` answers every request at once with
 * that status and the front end's HTML error page (not the service's JSON), as a load balancer
 * does when the service behind it fails; `hang` answers nothing at all, as a black hole or a
 * stuck front end: a request sent meanwhile never gets an answer, even after the outage (its
 * connection stays open and silent until the client gives up), and neither does one in flight
 * when the outage began (a long poll held then). `match` limits it to `METHOD /path`.
 */
export type FakeOutage = ({ status: number } | { hang: true }) & { match?: RegExp };

/** The page a front end answers with while the service behind it is down. */
const outagePage = (status: number) =>
  `<!DOCTYPE html><html><head><title>${status}</title></head><body><h1>${status}</h1>` +
  `<p>We couldn't respond to your request in time. Sorry about that.</p></body></html>`;

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

/** A request being answered; `fate` decided by an outage that began meanwhile. */
type InFlight = {
  path: string;
  req: IncomingMessage;
  url: URL;
  res: ServerResponse;
  gone: AbortController;
  fate: 'answer' | 'outage';
};

/** Faults, logging and JSON around the routes; the one place that writes responses. */
export function createRequestListener(routes: FakeRoutes, state: FakeActionsState) {
  let faults: { fault: FakeActionsFault; left: number }[] = [];
  let outage: FakeOutage | undefined;
  const inFlight = new Set<InFlight>();
  const hung = new Set<ServerResponse>();
  /** The runner stub's routes stand for the runner's own side, which no outage here reaches. */
  const affected = (methodAndPath: string) =>
    !methodAndPath.includes(' /_stub/') && (outage?.match?.test(methodAndPath) ?? true);
  const outageAnswer = (current: FakeOutage): FakeResponse | 'silent' =>
    'hang' in current
      ? 'silent'
      : { status: current.status, text: outagePage(current.status), contentType: 'text/html' };

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

  function log(req: IncomingMessage, url: URL, status: number, matched: boolean): void {
    const capacity = req.headers['x-scalesetmaxcapacity'];
    const entry: FakeActionsRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status,
      ...(typeof capacity === 'string' ? { capacity: Number(capacity) } : {}),
      at: Date.now(),
    };
    state.requests.push(entry);
    if (!matched) state.unexpectedRequests.push(entry);
  }

  function write(res: ServerResponse, answer: FakeResponse): void {
    if (res.destroyed) return;
    const payload = answer.text ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
    res.writeHead(answer.status, {
      ...(payload === ''
        ? {}
        : {
            'content-type':
              answer.contentType ??
              (answer.text === undefined ? 'application/json; charset=utf-8' : 'text/plain'),
          }),
      activityid: crypto.randomUUID(),
    });
    res.end(answer.status === 204 ? undefined : payload);
  }

  /** Never answered: the connection stays open until the client gives up (or close()). */
  function hang(res: ServerResponse): void {
    hung.add(res);
    res.on('close', () => hung.delete(res));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const methodAndPath = `${req.method ?? 'GET'} ${url.pathname}`;
    if (outage && affected(methodAndPath)) {
      const answer = outageAnswer(outage);
      // Read the body all the same: the client sees its request sent, then nothing or an error.
      await readBody(req);
      log(req, url, answer === 'silent' ? 0 : answer.status, true);
      if (answer === 'silent') hang(res);
      else write(res, answer);
      return;
    }
    // A long poll whose caller went away (stopped, killed) stops waiting.
    const flight: InFlight = {
      path: methodAndPath,
      req,
      url,
      res,
      gone: new AbortController(),
      fate: 'answer',
    };
    res.on('close', () => flight.gone.abort());
    inFlight.add(flight);
    let outcome: { answer: FakeResponse; matched: boolean };
    try {
      outcome = await respond(req, flight.gone.signal);
    } catch (error) {
      outcome = {
        answer: actionsError(500, 'VssServiceException', `fake-actions: ${String(error)}`),
        matched: false,
      };
    } finally {
      inFlight.delete(flight);
    }
    if (flight.fate !== 'answer') return;
    const { answer } = outcome;
    log(req, url, answer.status, outcome.matched);
    write(res, answer);
  }

  /** An outage begins: requests being answered (held long polls) get its answer, or none. */
  function beginOutage(current: FakeOutage): void {
    outage = current;
    for (const flight of inFlight) {
      if (!affected(flight.path)) continue;
      const answer = outageAnswer(current);
      flight.fate = 'outage';
      log(flight.req, flight.url, answer === 'silent' ? 0 : answer.status, true);
      if (answer === 'silent') hang(flight.res);
      else write(flight.res, answer);
      // The service stops working on it: a held poll hands out no message it cannot deliver.
      flight.gone.abort();
    }
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
    beginOutage,
    /** The service answers again; requests left hanging by a `hang` outage stay unanswered. */
    endOutage(): void {
      outage = undefined;
    },
    /** Connections the fake holds open without ever answering. */
    hanging: (): number => hung.size,
  };
}
