/**
 * Child process serving one intake variant on 127.0.0.1 (a free port), so the load generator
 * runs in another process. Usage: intake-server.ts controller|controller-silent|baseline.
 * Sends { port } over IPC when listening, answers { booked } on request, exits on disconnect.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { JobBook } from '../controller/src/jobs/job-book.ts';
import { logOptions } from '../controller/src/log/log-options.ts';
import { createMetrics } from '../controller/src/metrics/metrics.ts';
import { buildIntakeApp } from '../test/support/fakes/intake-app.ts';
import { benchRepos, SECRET } from './fixtures.ts';

export type ServerVariant = 'controller' | 'controller-silent' | 'baseline';
export type ServerMessage = { port: number } | { booked: number };

const jobs = new JobBook();

/** As main.ts wires it: info logs (written to /dev/null here), redaction, metrics. */
function controllerApp(silent: boolean): FastifyInstance {
  const log = pino(
    logOptions(silent ? 'silent' : 'info'),
    pino.destination({ dest: '/dev/null', sync: true }),
  );
  const repos = benchRepos();
  const metrics = createMetrics();
  return buildIntakeApp(
    {
      repos,
      secretOf: () => SECRET,
      jobs,
      onChange: () => undefined,
      log,
      now: Date.now,
      onResult: (result, poolId) => metrics.deliveries.inc({ repo: poolId ?? '', result }),
      onUnserved: (repo) => metrics.unservedJobs.inc({ repo }),
    },
    { bodyLimit: 1_048_576, registry: metrics.registry },
  );
}

/** Reads the body as the controller does, then answers 202 without any other work. */
function baselineApp(): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1_048_576 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.post('/webhook', async (_request, reply) =>
    reply.code(202).send({ result: 'accepted', message: 'accepted' }),
  );
  return app;
}

async function main(): Promise<void> {
  const variant = process.argv[2] as ServerVariant | undefined;
  if (!process.send) throw new Error('run me with child_process.fork');
  const app =
    variant === 'baseline' ? baselineApp() : controllerApp(variant === 'controller-silent');
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const send = (message: ServerMessage) => process.send?.(message);
  send({ port: address.port });
  process.on('message', () => send({ booked: jobs.all().length }));
  process.on('disconnect', () => void app.close().finally(() => process.exit(0)));
}

await main();
