import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Registry } from 'prom-client';
import type { Delivery, DeliveryAnswer } from '../webhook/handle-delivery.ts';
import type { HealthReport } from '../status/health-types.ts';
import type { StatusView } from '../status/status-view.ts';
import { renderStatusPage } from './status-page.ts';

export type AppDeps = {
  log: FastifyBaseLogger;
  bodyLimit: number;
  handleDelivery: (delivery: Delivery) => DeliveryAnswer;
  health: () => HealthReport;
  status: () => StatusView;
  registry: Registry;
  /** False once shutdown began: new deliveries are refused so GitHub records them as failed. */
  accepting: () => boolean;
};

const QUIET_PATHS = new Set(['/health', '/livez', '/metrics', '/']);
const pathOf = (url: string) => {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
};

/**
 * One line per request instead of Fastify's two, and none for probes and scrapes: a request is
 * logged when it ended, with its method, URL, address and status (`request completed`), except a
 * delivery that booked a job event, whose `job event booked` line says how it ended. Log lines
 * are a large share of what a delivery costs.
 */
class IntakeLogController extends LogController {
  readonly #booked: WeakSet<FastifyRequest>;

  constructor(booked: WeakSet<FastifyRequest>) {
    super({ disableRequestLogging: (request) => QUIET_PATHS.has(pathOf(request.url)) });
    this.#booked = booked;
  }

  override incomingRequest(): void {
    // Logged when it ends.
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request) || (!error && this.#booked.has(request))) return;
    // Plain fields, not the request object: redaction copies an object whose headers hold the
    // signature, and a copy of Fastify's request has lost its method, URL and address.
    const line = {
      request: { method: request.method, url: request.url, address: request.ip },
      status: reply.statusCode,
      responseTime: reply.elapsedTime,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export function buildApp(deps: AppDeps): FastifyInstance {
  const booked = new WeakSet<FastifyRequest>();
  const app = Fastify({
    loggerInstance: deps.log,
    // Deliveries are logged; probes and scrapes would only drown them.
    logController: new IntakeLogController(booked),
    // A request's logger without child options: no route sets a log level or serializers, and
    // pino builds a child with options (Fastify passes {}) the slow way.
    childLoggerFactory: (logger, bindings) => logger.child(bindings),
    bodyLimit: deps.bodyLimit,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const webhook = (request: FastifyRequest, repoId: string | undefined) => {
    if (!deps.accepting()) return { status: 503, message: 'shutting down', result: 'unavailable' };
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const answer = deps.handleDelivery({
      repoId,
      event: header(request.headers['x-github-event']),
      deliveryId: header(request.headers['x-github-delivery']),
      signature: header(request.headers['x-hub-signature-256']),
      contentType: header(request.headers['content-type']),
      body,
    });
    if (answer.result === 'accepted') booked.add(request);
    return answer;
  };
  app.post('/webhook', async (request, reply) => {
    const answer = webhook(request, undefined);
    return reply.code(answer.status).send({ result: answer.result, message: answer.message });
  });
  app.post<{ Params: { repoId: string } }>('/webhook/:repoId', async (request, reply) => {
    const answer = webhook(request, request.params.repoId);
    return reply.code(answer.status).send({ result: answer.result, message: answer.message });
  });

  app.get('/health', async (_request, reply) => {
    const report = deps.health();
    return reply.code(report.status !== 'failing' && deps.accepting() ? 200 : 503).send(report);
  });
  app.get('/', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header(
        'content-security-policy',
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
      )
      .send(renderStatusPage(deps.status())),
  );
  app.get('/livez', () => ({ status: 'alive' }));
  app.get('/metrics', async (_request, reply) => {
    const text = await deps.registry.metrics();
    return reply.type(deps.registry.contentType).send(text);
  });
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply
      .code(status)
      .send({ result: 'error', message: status === 413 ? 'body too large' : error.message });
  });
  return app;
}
