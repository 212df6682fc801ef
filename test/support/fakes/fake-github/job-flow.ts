import type { Dispatch } from './dispatcher.ts';
import type { ApiResponse } from './router.ts';
import type { FakeJob, FakeRepo, FakeRunner, FakeState } from './state.ts';
import { workflowJobPayload, type WorkflowJobAction } from './workflow-job-payload.ts';

export interface QueueJobInput {
  repo: FakeRepo;
  labels: string[];
  durationMs: number;
  sendWebhook: boolean;
  runId?: number;
}

export interface JobFlow {
  queue: (input: QueueJobInput) => Promise<FakeJob>;
  acquire: (runnerName: string) => ApiResponse;
  /** The runner finished its job, which succeeded unless it says otherwise. */
  complete: (runnerName: string, conclusion?: 'success' | 'failure') => ApiResponse;
  cancel: (jobId: number) => Promise<void>;
}

const isoNow = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function canServe(runner: FakeRunner, job: FakeJob): boolean {
  const inScope =
    runner.scope.kind === 'repo'
      ? runner.scope.repo.id === job.repo.id
      : runner.scope.org.id === job.repo.org?.id;
  const labels = new Set(runner.labels.map((label) => label.toLowerCase()));
  return inScope && job.labels.every((label) => labels.has(label.toLowerCase()));
}

/** Job lifecycle: queued by tests, taken and completed by runner stubs, with webhooks. */
export function createJobFlow(state: FakeState, apiUrl: () => string, dispatch: Dispatch): JobFlow {
  // Webhooks of one job go out in order (queued, in_progress, completed); jobs run concurrently.
  const chains = new Map<number, Promise<unknown>>();
  const notify = (job: FakeJob, action: WorkflowJobAction) => {
    const payload = workflowJobPayload(apiUrl(), job, action);
    const previous = chains.get(job.id) ?? Promise.resolve();
    const next = previous.then(() => dispatch(job.repo, 'workflow_job', payload));
    chains.set(job.id, next);
    return next;
  };
  const findRunner = (name: string) =>
    [...state.runners.values()].reverse().find((runner) => runner.name === name);
  const touchRun = (job: FakeJob) => {
    const run = state.runs.get(job.runId);
    if (run) run.updatedAt = isoNow();
  };

  return {
    async queue({ repo, labels, durationMs, sendWebhook, runId }) {
      const now = isoNow();
      const run = runId === undefined ? undefined : state.runs.get(runId);
      const id = run?.id ?? state.nextId('run');
      state.runs.set(id, run ?? { id, repo, createdAt: now, updatedAt: now });
      const job: FakeJob = {
        id: state.nextId('job'),
        runId: id,
        repo,
        labels: [...labels],
        status: 'queued',
        conclusion: null,
        runnerName: null,
        runnerId: null,
        durationMs,
        createdAt: now,
        startedAt: now,
        completedAt: null,
      };
      state.jobs.set(job.id, job);
      touchRun(job);
      if (sendWebhook) await notify(job, 'queued');
      return job;
    },
    acquire(name) {
      const runner = findRunner(name);
      if (!runner) return state.deletedRunnerNames.has(name) ? { status: 410 } : { status: 404 };
      runner.status = 'online';
      if (runner.jobId !== undefined) return { status: 409, text: 'runner already has a job' };
      const job = [...state.jobs.values()]
        .filter((candidate) => candidate.status === 'queued' && canServe(runner, candidate))
        .sort((a, b) => a.id - b.id)[0];
      if (!job) return { status: 204 };
      Object.assign(job, { status: 'in_progress', runnerName: runner.name, runnerId: runner.id });
      job.startedAt = isoNow();
      Object.assign(runner, { busy: true, jobId: job.id });
      touchRun(job);
      void notify(job, 'in_progress');
      return { status: 200, text: String(job.durationMs / 1000) };
    },
    complete(name, conclusion = 'success') {
      const runner = findRunner(name);
      const job = runner?.jobId === undefined ? undefined : state.jobs.get(runner.jobId);
      if (!runner || !job) return { status: 404 };
      // Ephemeral runners deregister themselves after their job.
      state.runners.delete(runner.id);
      state.deletedRunnerNames.add(runner.name);
      if (job.status !== 'in_progress') return { status: 200, text: 'ok' };
      Object.assign(job, { status: 'completed', conclusion, completedAt: isoNow() });
      touchRun(job);
      void notify(job, 'completed');
      return { status: 200, text: 'ok' };
    },
    async cancel(jobId) {
      const job = state.jobs.get(jobId);
      if (!job || job.status === 'completed') return;
      Object.assign(job, { status: 'completed', conclusion: 'cancelled', completedAt: isoNow() });
      touchRun(job);
      await notify(job, 'completed');
    },
  };
}
