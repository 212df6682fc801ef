import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
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

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.log,
    // Deliveries are logged; probes and scrapes would only drown them.
    logController: new LogController({
      disableRequestLogging: (request) => QUIET_PATHS.has(request.url.split('?')[0] ?? ''),
    }),
    bodyLimit: deps.bodyLimit,
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const webhook = (
    request: { headers: Record<string, string | string[] | undefined>; body: unknown },
    repoId: string | undefined,
  ) => {
    if (!deps.accepting()) return { status: 503, message: 'shutting down', result: 'unavailable' };
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    return deps.handleDelivery({
      repoId,
      event: header(request.headers['x-github-event']),
      deliveryId: header(request.headers['x-github-delivery']),
      signature: header(request.headers['x-hub-signature-256']),
      body,
    });
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
