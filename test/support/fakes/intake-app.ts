import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { webhookEntries } from '../../../controller/src/config/job-sources.ts';
import { buildApp } from '../../../controller/src/http/build-app.ts';
import { DeliveryLog } from '../../../controller/src/jobs/delivery-log.ts';
import type { JobBook } from '../../../controller/src/jobs/job-book.ts';
import { createJobIntake } from '../../../controller/src/jobs/job-intake.ts';
import { UnservedJobs } from '../../../controller/src/jobs/unserved-jobs.ts';
import { WaitingJobs } from '../../../controller/src/jobs/waiting-jobs.ts';
import {
  handleDelivery,
  type IntakeDeps,
} from '../../../controller/src/webhook/handle-delivery.ts';

/**
 * The controller's HTTP app with only webhook intake behind it (no Docker, no GitHub):
 * for intake tests and the intake benchmark. /health and / are not served.
 */
export function buildIntakeApp(
  intake: Omit<IntakeDeps, 'deliveries' | 'unserved' | 'intake'> & {
    log: FastifyBaseLogger & IntakeDeps['log'];
    unserved?: UnservedJobs;
    /** The book jobs go to, and what is told when it changed (the reconciler). */
    jobs: JobBook;
    onChange: () => void;
  },
  options: { bodyLimit: number; registry?: Registry },
): FastifyInstance {
  const { jobs, onChange, ...rest } = intake;
  const deps: IntakeDeps = {
    ...rest,
    // As the controller wires it: only the pools webhooks feed.
    repos: webhookEntries(intake.repos),
    intake: createJobIntake({
      jobs,
      waiting: new WaitingJobs(jobs),
      capacity: () => 0,
      onChange,
    }),
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
