import { RequestError } from '@octokit/request-error';
import type { GitHubScope } from '../config/github-url.ts';
import type { JobAction } from '../jobs/job-event.ts';
import type { ConditionalGet } from './conditional-get.ts';

export type ObservedJob = {
  repository: string;
  id: number;
  runId: number;
  action: JobAction;
  labels: string[];
  runnerName: string | undefined;
};

type Run = { id: number; repository: { full_name: string } };
type RunJob = {
  id: number;
  run_id: number;
  status: string;
  labels: string[];
  runner_name: string | null;
};

const STATUS_TO_ACTION: Record<string, JobAction | undefined> = {
  queued: 'queued',
  in_progress: 'in_progress',
  completed: 'completed',
};
const PER_PAGE = 100;
/** Organizations of up to 1,000 repositories are read whole; each page is a conditional GET. */
const MAX_ORG_REPO_PAGES = 10;

function observed(repository: string, job: RunJob): ObservedJob | undefined {
  const action = STATUS_TO_ACTION[job.status];
  if (!action) return undefined;
  return {
    repository,
    id: job.id,
    runId: job.run_id,
    action,
    labels: job.labels,
    runnerName: job.runner_name ?? undefined,
  };
}

export type JobSourceOptions = {
  /** Most requests one resync may make for this scope; the rest waits for the next. */
  requestBudget: number;
};

/**
 * Reads GitHub's view of unfinished jobs: the queued and in-progress workflow runs of the
 * repository (or of each repository of the organization), then their jobs. Every GET is
 * conditional, so an unchanged poll costs no rate limit.
 */
export function createJobSource(
  get: ConditionalGet,
  scope: GitHubScope,
  options: JobSourceOptions,
) {
  let orgCursor = 0;

  async function repositories(budget: { left: number }): Promise<string[]> {
    if (scope.kind === 'repo') return [`${scope.owner}/${scope.repo}`];
    const repos: { full_name: string; archived?: boolean }[] = [];
    for (let page = 1; page <= MAX_ORG_REPO_PAGES; page += 1) {
      budget.left -= 1;
      const batch = await get<{ full_name: string; archived?: boolean }[]>(
        'GET /orgs/{org}/repos',
        {
          org: scope.org,
          per_page: PER_PAGE,
          page,
        },
      );
      repos.push(...batch);
      if (batch.length < PER_PAGE) break;
    }
    const names = repos.filter((repo) => !repo.archived).map((repo) => repo.full_name);
    // Rotate so a budget smaller than the organization still reaches every repository in turn.
    orgCursor = names.length === 0 ? 0 : orgCursor % names.length;
    return [...names.slice(orgCursor), ...names.slice(0, orgCursor)];
  }

  return {
    /** Unfinished jobs; `complete` is false when the budget ran out before every run was read. */
    async unfinishedJobs(): Promise<{ jobs: ObservedJob[]; complete: boolean }> {
      const budget = { left: options.requestBudget };
      const jobs: ObservedJob[] = [];
      const repos = await repositories(budget);
      let complete = true;
      for (const fullName of repos) {
        const [owner = '', repo = ''] = fullName.split('/');
        const runs: Run[] = [];
        for (const status of ['queued', 'in_progress']) {
          if (budget.left <= 0) break;
          budget.left -= 1;
          const page = await get<{ workflow_runs: Run[] }>(
            'GET /repos/{owner}/{repo}/actions/runs',
            {
              owner,
              repo,
              status,
              per_page: PER_PAGE,
            },
          );
          runs.push(...page.workflow_runs);
        }
        for (const run of runs) {
          if (budget.left <= 0) break;
          budget.left -= 1;
          const page = await get<{ jobs: RunJob[] }>(
            'GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs',
            {
              owner,
              repo,
              run_id: run.id,
              per_page: PER_PAGE,
            },
          );
          for (const job of page.jobs) {
            const seen = observed(fullName, job);
            if (seen) jobs.push(seen);
          }
        }
        if (budget.left <= 0) {
          complete = false;
          break;
        }
        if (scope.kind === 'org') orgCursor += 1;
      }
      return { jobs, complete };
    },

    /** One job's current state; undefined when GitHub no longer knows it. */
    async job(repository: string, id: number): Promise<ObservedJob | undefined> {
      const [owner = '', repo = ''] = repository.split('/');
      try {
        const job = await get<RunJob>('GET /repos/{owner}/{repo}/actions/jobs/{job_id}', {
          owner,
          repo,
          job_id: id,
        });
        return observed(repository, job);
      } catch (error) {
        if (error instanceof RequestError && error.status === 404) return undefined;
        throw error;
      }
    },
  };
}

export type JobSource = ReturnType<typeof createJobSource>;
