import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Registry } from 'prom-client';
import type { Delivery, DeliveryAnswer } from '../webhook/handle-delivery.ts';
import type { HealthReport } from './health.ts';
import { renderStatusPage } from './status-page.ts';
import type { StatusView } from './status-view.ts';

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
 * Fastify's request lines, less two: probes and scrapes are not logged, and a delivery that
 * booked a job event is not logged as completed, its `job event booked` line saying how it
 * ended (every other answer, a 401 say, keeps its `request completed` line with its status).
 * Log lines are a large share of what a delivery costs.
 */
class IntakeLogController extends LogController {
  readonly #booked: WeakSet<FastifyRequest>;

  constructor(booked: WeakSet<FastifyRequest>) {
    super({ disableRequestLogging: (request) => QUIET_PATHS.has(pathOf(request.url)) });
    this.#booked = booked;
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
    metadata?: Record<string, unknown>,
  ): void {
    if (!error && this.#booked.has(request)) return;
    super.requestCompleted(error, request, reply, metadata);
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
