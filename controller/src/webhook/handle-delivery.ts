import type { Logger } from 'pino';
import type { PoolConfig } from '../config/load-config.ts';
import type { DeliveryLog } from '../jobs/delivery-log.ts';
import type { JobBook } from '../jobs/job-book.ts';
import type { JobAction } from '../jobs/job-event.ts';
import { matchesLabels } from '../jobs/match-labels.ts';
import { poolOwnsPayload } from './pool-owns-payload.ts';
import { verifySignature } from './verify-signature.ts';
import { parseJson, WorkflowJobPayload } from './workflow-job-payload.ts';

export type Delivery = {
  /** Set for /webhook/:repoId; undefined for /webhook. */
  repoId: string | undefined;
  event: string | undefined;
  deliveryId: string | undefined;
  signature: string | undefined;
  body: Buffer;
};

export type DeliveryResult =
  | 'accepted'
  | 'duplicate'
  | 'ignored'
  | 'unserved'
  | 'ping'
  | 'bad-signature'
  | 'unknown-repo'
  | 'bad-payload';

export type DeliveryAnswer = { status: number; result: DeliveryResult; message: string };

export type IntakeDeps = {
  pools: PoolConfig[];
  secretOf: (poolId: string) => string;
  jobs: JobBook;
  deliveries: DeliveryLog;
  onChange: () => void;
  log: Logger;
  now: () => number;
  onResult?: (result: DeliveryResult, poolId: string | undefined) => void;
  onUnserved?: (poolId: string) => void;
};

const ACTIONS = new Set<string>(['queued', 'in_progress', 'completed']);

/** Verifies, parses and books one webhook delivery. Never waits on Docker or GitHub. */
export function handleDelivery(deps: IntakeDeps, delivery: Delivery): DeliveryAnswer {
  const answer = (
    status: number,
    result: DeliveryResult,
    message: string,
    poolId?: string,
  ): DeliveryAnswer => {
    deps.onResult?.(result, poolId);
    return { status, result, message };
  };
  const candidates =
    delivery.repoId === undefined
      ? deps.pools
      : deps.pools.filter((pool) => pool.id === delivery.repoId);
  if (candidates.length === 0) return answer(404, 'unknown-repo', 'unknown repository id');
  const verified = allVerified(candidates, deps.secretOf, delivery);
  const first = verified[0];
  if (!first) return answer(401, 'bad-signature', 'signature missing or wrong');

  if (delivery.event === 'ping') return answer(200, 'ping', 'pong', first.id);
  if (delivery.event !== 'workflow_job') return answer(202, 'ignored', 'event ignored', first.id);

  const json = parseJson(delivery.body);
  if (!json.ok) return answer(400, 'bad-payload', json.reason, first.id);
  const parsed = WorkflowJobPayload.safeParse(json.payload);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    return answer(
      400,
      'bad-payload',
      `workflow_job payload lacks or mistypes: ${fields}`,
      first.id,
    );
  }
  const payload = parsed.data;
  const pool = verified.find((candidate) => poolOwnsPayload(candidate.target.scope, payload));
  if (!ACTIONS.has(payload.action)) return answer(202, 'ignored', 'action ignored', first.id);
  if (!pool) return answer(202, 'ignored', 'repository not served by this endpoint', first.id);
  const job = payload.workflow_job;
  const log = deps.log.child({ repo: pool.id, jobId: job.id, delivery: delivery.deliveryId });
  if (!matchesLabels(job.labels, pool.runnerLabels)) {
    if (payload.action === 'queued') {
      log.info({ labels: job.labels }, 'job not served: labels do not match');
      deps.onUnserved?.(pool.id);
    }
    return answer(202, 'unserved', 'labels not served', pool.id);
  }
  if (delivery.deliveryId !== undefined && !deps.deliveries.record(delivery.deliveryId)) {
    return answer(200, 'duplicate', 'delivery already seen', pool.id);
  }
  const applied = deps.jobs.apply({
    poolId: pool.id,
    repository: payload.repository.full_name,
    jobId: job.id,
    runId: job.run_id,
    action: payload.action as JobAction,
    labels: job.labels,
    runnerName: job.runner_name ?? undefined,
    conclusion: job.conclusion ?? undefined,
    at: deps.now(),
  });
  if (applied === 'duplicate')
    return answer(200, 'duplicate', 'job already at this state', pool.id);
  log.info({ action: payload.action, runner: job.runner_name ?? undefined }, 'job event booked');
  deps.onChange();
  return answer(202, 'accepted', 'accepted', pool.id);
}

function allVerified(
  pools: PoolConfig[],
  secretOf: (poolId: string) => string,
  delivery: Delivery,
): PoolConfig[] {
  return pools.filter((pool) =>
    verifySignature(secretOf(pool.id), delivery.body, delivery.signature),
  );
}
