import type { Job } from '../jobs/job-book.ts';
import { healthReport } from './health-report.ts';
import type { HealthReport } from './health-types.ts';
import type { StatusModel } from './status-model.ts';

/** One job as the status page shows it; times in ISO 8601, durations in seconds. */
export type RecentJob = {
  id: number;
  repo: string;
  repository: string;
  state: 'queued' | 'in_progress' | 'completed';
  givenUp: boolean;
  runnerName: string | null;
  conclusion: string | null;
  queuedAt: string;
  /** Queued until a runner took it (in_progress); until now while still waiting. */
  queueSeconds: number;
  /** In progress until completed; null before it started. */
  durationSeconds: number | null;
};

export type StatusView = { health: HealthReport; recentJobs: RecentJob[]; generatedAt: string };

const RECENT_LIMIT = 50;

/** The status page's data: /health's report and the recent jobs. */
export function statusView(model: StatusModel): StatusView {
  const now = model.now();
  return {
    health: healthReport(model),
    recentJobs: recentJobs(model.jobs(), now),
    generatedAt: new Date(now).toISOString(),
  };
}

/** The newest jobs first, at most fifty. */
export function recentJobs(jobs: readonly Job[], now: number): RecentJob[] {
  return [...jobs]
    .sort((a, b) => b.queuedAt - a.queuedAt)
    .slice(0, RECENT_LIMIT)
    .map((job) => ({
      id: job.id,
      repo: job.poolId,
      repository: job.repository,
      state: job.state,
      givenUp: job.givenUp,
      runnerName: job.runnerName ?? null,
      conclusion: job.conclusion ?? null,
      queuedAt: new Date(job.queuedAt).toISOString(),
      queueSeconds: seconds(
        (job.startedAt ?? (job.state === 'queued' ? now : (job.completedAt ?? now))) - job.queuedAt,
      ),
      durationSeconds:
        job.startedAt === undefined ? null : seconds((job.completedAt ?? now) - job.startedAt),
    }));
}

const seconds = (ms: number) => Math.max(0, Math.round(ms / 100) / 10);
