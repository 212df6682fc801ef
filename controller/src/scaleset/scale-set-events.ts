import type { JobMessage, ScaleSetStatistics } from './actions-wire.ts';

export type { ScaleSetStatistics } from './actions-wire.ts';

/**
 * A job as the scale set's messages name it. `runnerRequestId` is the service's id of the job
 * request, a number, stable across all messages of the job; `jobId` is the service's own
 * (opaque string) id, not the REST API's workflow job id.
 */
export type ScaleSetJob = {
  runnerRequestId: number;
  jobId: string | undefined;
  /** owner/name, when the message carries both. */
  repository: string | undefined;
  workflowRunId: number | undefined;
  /** The job's `runs-on` labels. */
  labels: string[];
  displayName: string | undefined;
  /** Epoch ms the job was queued, when the message says. */
  queuedAt: number | undefined;
};

/**
 * What happened to jobs, one event per job message. `job-available`: offered to the scale
 * set (`acquired`: this listener claimed it); `job-assigned`: the service gave it to this scale
 * set; `job-started`: a runner of the scale set took it; `job-completed`: it ended, with the
 * service's result (`succeeded`, `failed`, `canceled`, ...); `runnerName` is absent for a job
 * that ended before a runner took it.
 */
export type ScaleSetEvent =
  | { type: 'job-available'; job: ScaleSetJob; acquired: boolean }
  | { type: 'job-assigned'; job: ScaleSetJob }
  | { type: 'job-started'; job: ScaleSetJob; runnerName: string; runnerId: number | undefined }
  | {
      type: 'job-completed';
      job: ScaleSetJob;
      runnerName: string | undefined;
      runnerId: number | undefined;
      result: string | undefined;
    };

/**
 * What one message (or a new session) brought: the current statistics and the job events in
 * the order sent. `messageId` is undefined for the statistics a new session starts with.
 */
export type ScaleSetBatch = {
  messageId: number | undefined;
  statistics: ScaleSetStatistics;
  events: ScaleSetEvent[];
  receivedAt: number;
};

/** The reference's zero time (`0001-01-01T00:00:00Z`) and unparsable times read as unknown. */
function epochMs(time: string | undefined): number | undefined {
  if (time === undefined) return undefined;
  const ms = Date.parse(time);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

function jobOf(message: JobMessage): ScaleSetJob {
  const { ownerName, repositoryName } = message;
  return {
    runnerRequestId: message.runnerRequestId,
    jobId: message.jobId,
    repository: ownerName && repositoryName ? `${ownerName}/${repositoryName}` : undefined,
    workflowRunId: message.workflowRunId,
    labels: message.requestLabels ?? [],
    displayName: message.jobDisplayName,
    queuedAt: epochMs(message.queueTime),
  };
}

/** Job messages as events; a JobStarted without a runner name says nothing usable and is left out. */
export function toEvents(messages: JobMessage[], acquired: ReadonlySet<number>): ScaleSetEvent[] {
  const events: ScaleSetEvent[] = [];
  for (const message of messages) {
    const job = jobOf(message);
    switch (message.messageType) {
      case 'JobAvailable':
        events.push({ type: 'job-available', job, acquired: acquired.has(job.runnerRequestId) });
        break;
      case 'JobAssigned':
        events.push({ type: 'job-assigned', job });
        break;
      case 'JobStarted':
        if (message.runnerName)
          events.push({
            type: 'job-started',
            job,
            runnerName: message.runnerName,
            runnerId: message.runnerId,
          });
        break;
      case 'JobCompleted':
        events.push({
          type: 'job-completed',
          job,
          runnerName: message.runnerName || undefined,
          runnerId: message.runnerId || undefined,
          result: message.result,
        });
        break;
    }
  }
  return events;
}
