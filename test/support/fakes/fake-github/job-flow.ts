import type { Dispatch } from './dispatcher.ts';
import type { ApiResponse } from './router.ts';
import type { FakeJob, FakeRepo, FakeRunner, FakeState } from './state.ts';
import { workflowJobPayload, type WorkflowJobAction } from './workflow-job-payload.ts';

export interface QueueJobInput {
  repo: FakeRepo;
  labels: string[];
  durationMs: number;
  workflow?: unknown;
  sendWebhook: boolean;
  runId?: number;
}

export interface JobFlow {
  queue: (input: QueueJobInput) => Promise<FakeJob>;
  acquire: (runnerName: string) => ApiResponse;
  /**
   * acquire, held open up to `waitMs` while there is no job for the runner (a long poll, as the
   * real runner asks the service for its next message); answered as soon as one is queued, with
   * the job (as jobOf answers), as the runner's message carries its job.
   */
  acquireWaiting: (runnerName: string, waitMs: number) => Promise<ApiResponse>;
  /** The job a runner took: its id, repository and workflow (the runner stand-ins' protocol). */
  jobOf: (runnerName: string) => ApiResponse;
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
  // Long polls waiting for a job to be queued.
  const waiters = new Set<() => void>();
  const wakeWaiters = () => {
    for (const wake of [...waiters]) wake();
  };
  const touchRun = (job: FakeJob) => {
    const run = state.runs.get(job.runId);
    if (run) run.updatedAt = isoNow();
  };

  return {
    async queue({ repo, labels, durationMs, workflow, sendWebhook, runId }) {
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
        workflow: workflow ?? null,
        createdAt: now,
        startedAt: now,
        completedAt: null,
      };
      state.jobs.set(job.id, job);
      touchRun(job);
      wakeWaiters();
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
    async acquireWaiting(name, waitMs) {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const answer = this.acquire(name);
        if (answer.status === 200) return this.jobOf(name);
        const left = deadline - Date.now();
        if (answer.status !== 204 || left <= 0) return answer;
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          };
          // A long poll keeps no process alive (the fake may close meanwhile).
          const timer = setTimeout(done, left).unref();
          waiters.add(done);
        });
      }
    },
    jobOf(name) {
      const runner = findRunner(name);
      const job = runner?.jobId === undefined ? undefined : state.jobs.get(runner.jobId);
      if (!job) return { status: 404 };
      const repository = `${job.repo.owner}/${job.repo.name}`;
      return { status: 200, body: { id: job.id, repository, workflow: job.workflow } };
    },
    complete(name, conclusion = 'success') {
      const runner = findRunner(name);
      const job = runner?.jobId === undefined ? undefined : state.jobs.get(runner.jobId);
      if (!runner || !job) return { status: 404 };
      if (runner.ephemeral === false) {
        // A long-lived runner takes the next job.
        Object.assign(runner, { busy: false, jobId: undefined });
      } else {
        // Ephemeral runners deregister themselves after their job.
        state.runners.delete(runner.id);
        state.deletedRunnerNames.add(runner.name);
      }
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
