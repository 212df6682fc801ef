import type { Logger } from 'pino';
import type { RepoConfig } from '../config/load-config.ts';
import type { DeliveryLog } from '../jobs/delivery-log.ts';
import { isJobAction } from '../jobs/job-event.ts';
import type { JobIntake } from '../jobs/job-intake.ts';
import { routeJob } from '../jobs/route-job.ts';
import type { UnservedJobs } from '../jobs/unserved-jobs.ts';
import { poolOwnsPayload } from './pool-owns-payload.ts';
import { verifySignature } from './verify-signature.ts';
import { parseJson, WorkflowJobPayload } from './workflow-job-payload.ts';

export type Delivery = {
  /** Set for /webhook/:repoId; undefined for /webhook. */
  repoId: string | undefined;
  event: string | undefined;
  deliveryId: string | undefined;
  signature: string | undefined;
  /** The Content-Type header: JSON, or a form whose `payload` field holds the JSON. */
  contentType?: string | undefined;
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
  /** The entries webhooks feed, each with the pools they feed (webhookEntries). */
  repos: RepoConfig[];
  secretOf: (repoId: string) => string;
  intake: Pick<JobIntake, 'book'>;
  deliveries: DeliveryLog;
  unserved: UnservedJobs;
  log: Logger;
  now: () => number;
  onResult?: (result: DeliveryResult, repoId: string | undefined) => void;
  onUnserved?: (repoId: string) => void;
};

/** Verifies, parses and books one webhook delivery. Never waits on Docker or GitHub. */
export function handleDelivery(deps: IntakeDeps, delivery: Delivery): DeliveryAnswer {
  const answer = (
    status: number,
    result: DeliveryResult,
    message: string,
    repoId?: string,
  ): DeliveryAnswer => {
    deps.onResult?.(result, repoId);
    return { status, result, message };
  };
  const candidates =
    delivery.repoId === undefined
      ? deps.repos
      : deps.repos.filter((repo) => repo.id === delivery.repoId);
  if (candidates.length === 0) return answer(404, 'unknown-repo', 'unknown repository id');
  const verified = allVerified(candidates, deps.secretOf, delivery);
  const first = verified[0];
  if (!first) return answer(401, 'bad-signature', 'signature missing or wrong');

  if (delivery.event === 'ping') return answer(200, 'ping', 'pong', first.id);
  if (delivery.event !== 'workflow_job') return answer(202, 'ignored', 'event ignored', first.id);

  const json = parseJson(delivery.body, delivery.contentType);
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
  const repo = verified.find((candidate) => poolOwnsPayload(candidate.target.scope, payload));
  const action = payload.action;
  if (!isJobAction(action)) return answer(202, 'ignored', 'action ignored', first.id);
  if (!repo) return answer(202, 'ignored', 'repository not served by this endpoint', first.id);
  const job = payload.workflow_job;
  // Fields of this delivery's log lines (a child logger per delivery would cost more).
  const about = { repo: repo.id, jobId: job.id, delivery: delivery.deliveryId };
  const pool = routeJob(job.labels, repo.pools);
  if (!pool) {
    if (payload.action !== 'queued') {
      deps.unserved.forget(job.id);
    } else if (
      deps.unserved.record({
        repoId: repo.id,
        repository: payload.repository.full_name,
        jobId: job.id,
        labels: job.labels,
        pools: repo.pools.map((p) => ({ id: p.id, labels: p.runnerLabels })),
        at: deps.now(),
      })
    ) {
      deps.log.info(
        {
          ...about,
          labels: job.labels,
          pools: repo.pools.map((p) => p.runnerLabels.join(',')),
        },
        'job not served: no pool has all its labels',
      );
      deps.onUnserved?.(repo.id);
    }
    return answer(202, 'unserved', 'labels not served', repo.id);
  }
  if (delivery.deliveryId !== undefined && !deps.deliveries.record(delivery.deliveryId)) {
    return answer(200, 'duplicate', 'delivery already seen', repo.id);
  }
  const [applied] = deps.intake.book([
    {
      poolId: pool.id,
      repoId: repo.id,
      repository: payload.repository.full_name,
      jobId: job.id,
      runId: job.run_id,
      action,
      labels: job.labels,
      runnerName: job.runner_name ?? undefined,
      conclusion: job.conclusion ?? undefined,
      at: deps.now(),
    },
  ]);
  if (applied === 'duplicate')
    return answer(200, 'duplicate', 'job already at this state', repo.id);
  deps.log.info(
    { ...about, pool: pool.id, action: payload.action, runner: job.runner_name ?? undefined },
    'job event booked',
  );
  return answer(202, 'accepted', 'accepted', repo.id);
}

function allVerified(
  repos: RepoConfig[],
  secretOf: (repoId: string) => string,
  delivery: Delivery,
): RepoConfig[] {
  return repos.filter((repo) =>
    verifySignature(secretOf(repo.id), delivery.body, delivery.signature),
  );
}
