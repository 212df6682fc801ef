import { randomUUID } from 'node:crypto';
import type { MessageQueue } from './message-queue.ts';
import {
  ZERO_TIME,
  type FakeActionsState,
  type FakeScaleSet,
  type FakeScaleSetJob,
  type FakeScaleSetRunner,
  type FakeTenant,
} from './state.ts';

export type QueueInput = {
  tenant: FakeTenant;
  labels: string[];
  durationMs: number;
  owner: string;
  repository: string;
  displayName?: string;
};

/** `RunnerScaleSetStatistic` (types.go at 6ce025902cd964747a078c2aabe7340ebc667eca). */
export type FakeStatistics = {
  totalAvailableJobs: number;
  totalAcquiredJobs: number;
  totalAssignedJobs: number;
  totalRunningJobs: number;
  totalRegisteredRunners: number;
  totalBusyRunners: number;
  totalIdleRunners: number;
};

const now = () => new Date().toISOString();

/** A job goes to a scale set whose labels cover all of its `runs-on` labels (case-insensitive). */
function covers(scaleSet: FakeScaleSet, labels: string[]): boolean {
  const own = new Set(scaleSet.labels.map((label) => label.name.toLowerCase()));
  return labels.length > 0 && labels.every((label) => own.has(label.toLowerCase()));
}

/**
 * Jobs through a scale set, as the service runs them: offered (JobAvailable), acquired by the
 * listener, assigned within the capacity the latest poll sent (JobAssigned; assigned counts
 * running jobs too, as README's "TotalAssignedJobs >= TotalRunningJobs" says), taken by a
 * runner of the scale set (JobStarted) and ended (JobCompleted). Message fields as types.go.
 */
export function createJobFlow(state: FakeActionsState, queue: MessageQueue) {
  function jobMessage(type: string, job: FakeScaleSetJob, extra: Record<string, unknown> = {}) {
    return {
      messageType: type,
      runnerRequestId: job.runnerRequestId,
      repositoryName: job.repository,
      ownerName: job.owner,
      jobId: job.jobId,
      jobWorkflowRef: `${job.owner}/${job.repository}/.github/workflows/ci.yml@refs/heads/main`,
      jobDisplayName: job.displayName,
      workflowRunId: job.workflowRunId,
      eventName: 'push',
      requestLabels: job.labels,
      queueTime: job.queueTime,
      scaleSetAssignTime: job.scaleSetAssignTime ?? ZERO_TIME,
      runnerAssignTime: job.runnerAssignTime ?? ZERO_TIME,
      finishTime: job.finishTime ?? ZERO_TIME,
      ...extra,
    };
  }

  function offer(job: FakeScaleSetJob, scaleSet: FakeScaleSet): void {
    job.scaleSet = scaleSet;
    job.state = 'available';
    queue.push(scaleSet, jobMessage('JobAvailable', job, { acquireJobUrl: '' }));
  }

  function jobsOf(scaleSet: FakeScaleSet): FakeScaleSetJob[] {
    return [...state.jobs.values()].filter((job) => job.scaleSet === scaleSet);
  }

  /** Acquired jobs become assigned while assigned + running stays within the capacity. */
  function assign(scaleSet: FakeScaleSet): void {
    const jobs = jobsOf(scaleSet);
    let held = jobs.filter((job) => job.state === 'assigned' || job.state === 'running').length;
    for (const job of jobs) {
      if (held >= scaleSet.capacity) break;
      if (job.state !== 'acquired') continue;
      job.state = 'assigned';
      job.scaleSetAssignTime = now();
      held += 1;
      queue.push(scaleSet, jobMessage('JobAssigned', job));
    }
  }

  function complete(job: FakeScaleSetJob, result: 'succeeded' | 'failed' | 'canceled'): void {
    const scaleSet = job.scaleSet;
    job.state = 'completed';
    job.result = result;
    job.finishTime = now();
    const runner = job.runner;
    if (runner) runner.state = 'gone';
    if (!scaleSet || scaleSet.deleted) return;
    queue.push(
      scaleSet,
      jobMessage('JobCompleted', job, {
        result,
        runnerId: runner?.id ?? 0,
        runnerName: runner?.name ?? '',
      }),
    );
    assign(scaleSet);
  }

  return {
    queue(input: QueueInput): FakeScaleSetJob {
      const job: FakeScaleSetJob = {
        runnerRequestId: state.nextId('job'),
        jobId: randomUUID(),
        tenant: input.tenant,
        scaleSet: undefined,
        owner: input.owner,
        repository: input.repository,
        workflowRunId: state.nextId('run'),
        labels: input.labels,
        displayName: input.displayName ?? 'build',
        durationMs: input.durationMs,
        state: 'unmatched',
        result: undefined,
        runner: undefined,
        queueTime: now(),
        scaleSetAssignTime: undefined,
        runnerAssignTime: undefined,
        finishTime: undefined,
      };
      state.jobs.set(job.runnerRequestId, job);
      const target = [...state.scaleSets.values()].find(
        (scaleSet) =>
          !scaleSet.deleted && scaleSet.tenant === input.tenant && covers(scaleSet, job.labels),
      );
      if (target) offer(job, target);
      return job;
    },

    /** A new scale set is offered the waiting jobs it can serve. */
    adopt(scaleSet: FakeScaleSet): void {
      for (const job of state.jobs.values())
        if (
          job.state === 'unmatched' &&
          job.tenant === scaleSet.tenant &&
          covers(scaleSet, job.labels)
        )
          offer(job, scaleSet);
    },

    /** The scale set is gone: its runners with it, running jobs canceled, the rest wait again. */
    drop(scaleSet: FakeScaleSet): void {
      for (const runner of state.runners.values())
        if (runner.scaleSet === scaleSet) runner.state = 'gone';
      for (const job of jobsOf(scaleSet)) {
        if (job.state === 'completed') continue;
        if (job.state === 'running') complete(job, 'canceled');
        else {
          job.state = 'unmatched';
          job.scaleSet = undefined;
        }
      }
    },

    /** acquirejobs: the ids this scale set now holds (already its own ones included). */
    acquire(scaleSet: FakeScaleSet, ids: number[]): number[] {
      const held: number[] = [];
      for (const id of ids) {
        const job = state.jobs.get(id);
        if (!job || job.scaleSet !== scaleSet || job.state === 'completed') continue;
        if (job.state === 'available') job.state = 'acquired';
        held.push(id);
      }
      assign(scaleSet);
      return held;
    },

    assign,

    cancel(job: FakeScaleSetJob): void {
      if (job.state !== 'completed') complete(job, 'canceled');
    },

    /** The runner stub asks for work: its scale set's oldest assigned job. */
    take(runner: FakeScaleSetRunner): FakeScaleSetJob | 'gone' | undefined {
      if (runner.state === 'gone') return 'gone';
      if (runner.job) return runner.job;
      const job = jobsOf(runner.scaleSet).find((candidate) => candidate.state === 'assigned');
      if (!job) return undefined;
      job.state = 'running';
      job.runner = runner;
      job.runnerAssignTime = now();
      runner.state = 'busy';
      runner.job = job;
      queue.push(
        runner.scaleSet,
        jobMessage('JobStarted', job, { runnerId: runner.id, runnerName: runner.name }),
      );
      return job;
    },

    finish(runner: FakeScaleSetRunner, conclusion: 'success' | 'failure'): boolean {
      const job = runner.job;
      if (!job) return false;
      // Ended already (canceled with its scale set, or a repeated call): done all the same.
      if (job.state === 'completed') return true;
      complete(job, conclusion === 'success' ? 'succeeded' : 'failed');
      return true;
    },

    statistics(scaleSet: FakeScaleSet): FakeStatistics {
      const jobs = jobsOf(scaleSet);
      const count = (...states: string[]) =>
        jobs.filter((job) => states.includes(job.state)).length;
      const runners = [...state.runners.values()].filter(
        (runner) => runner.scaleSet === scaleSet && runner.state !== 'gone',
      );
      const busy = runners.filter((runner) => runner.state === 'busy').length;
      return {
        totalAvailableJobs: count('available'),
        totalAcquiredJobs: count('acquired'),
        totalAssignedJobs: count('assigned', 'running'),
        totalRunningJobs: count('running'),
        totalRegisteredRunners: runners.length,
        totalBusyRunners: busy,
        totalIdleRunners: runners.length - busy,
      };
    },
  };
}

export type JobFlow = ReturnType<typeof createJobFlow>;
