import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildApp } from '../../controller/src/http/build-app.ts';
import { DeliveryLog } from '../../controller/src/jobs/delivery-log.ts';
import { UnservedJobs } from '../../controller/src/jobs/unserved-jobs.ts';
import { handleDelivery, type IntakeDeps } from '../../controller/src/webhook/handle-delivery.ts';

/**
 * The controller's HTTP app with only webhook intake behind it (no Docker, no GitHub):
 * for intake tests and the intake benchmark. /health and / are not served.
 */
export function buildIntakeApp(
  intake: Omit<IntakeDeps, 'deliveries' | 'unserved'> & {
    log: FastifyBaseLogger & IntakeDeps['log'];
    unserved?: UnservedJobs;
  },
  options: { bodyLimit: number; registry?: Registry },
): FastifyInstance {
  const deps: IntakeDeps = {
    ...intake,
    deliveries: new DeliveryLog(),
    unserved: intake.unserved ?? new UnservedJobs(),
  };
  const unused = () => {
    throw new Error('not served by the intake app');
  };
  return buildApp({
    log: intake.log,
    bodyLimit: options.bodyLimit,
    registry: options.registry ?? new Registry(),
    accepting: () => true,
    health: unused,
    status: unused,
    handleDelivery: (delivery) => handleDelivery(deps, delivery),
  });
}
