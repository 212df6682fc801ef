import { RequestError } from '@octokit/request-error';
import type { RestEndpointMethodTypes as Rest } from '@octokit/rest';
import type { GitHubScope } from '../config/github-url.ts';
import type { JobAction } from '../jobs/job-event.ts';
import type { ConditionalGets } from './conditional-get.ts';
import type { GitHubClient } from './create-octokit.ts';
import { classifyGitHubError } from './github-error.ts';

export type ObservedJob = {
  repository: string;
  id: number;
  runId: number;
  action: JobAction;
  labels: string[];
  runnerName: string | undefined;
};

type Run = { id: number };
type RunJob = Pick<
  Rest['actions']['getJobForWorkflowRun']['response']['data'],
  'id' | 'run_id' | 'status' | 'labels' | 'runner_name'
>;

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

export type JobReaderOptions = {
  /** Most requests one resync may make for this scope; the rest waits for the next. */
  requestBudget: number;
};

/** What one resync read: the unfinished jobs of the repositories it read whole. */
export type UnfinishedJobs = {
  jobs: ObservedJob[];
  /** Repositories whose unfinished runs and jobs were all read: GitHub's view of them is whole. */
  covered: Set<string>;
  /** Repositories GitHub refused to show (a missing permission, say); the others go on. */
  refused: { repository: string; error: unknown }[];
};

/** Pages of 100 runs per status, and of 100 jobs per run, read at most. */
const MAX_PAGES = 5;

/**
 * Reads GitHub's view of unfinished jobs: the queued and in-progress workflow runs of the
 * repository (or of each repository of the organization), then their jobs. Every GET is
 * conditional, so an unchanged poll costs no rate limit.
 */
export function createJobReader(
  octokit: GitHubClient,
  gets: ConditionalGets,
  scope: GitHubScope,
  options: JobReaderOptions,
) {
  const orgRepos = gets.of((params: Rest['repos']['listForOrg']['parameters'], headers) =>
    octokit.rest.repos.listForOrg({ ...params, headers }),
  );
  const runsOf = gets.of(
    (params: Rest['actions']['listWorkflowRunsForRepo']['parameters'], headers) =>
      octokit.rest.actions.listWorkflowRunsForRepo({ ...params, headers }),
  );
  const jobsOf = gets.of(
    (params: Rest['actions']['listJobsForWorkflowRun']['parameters'], headers) =>
      octokit.rest.actions.listJobsForWorkflowRun({ ...params, headers }),
  );
  const jobOf = gets.of((params: Rest['actions']['getJobForWorkflowRun']['parameters'], headers) =>
    octokit.rest.actions.getJobForWorkflowRun({ ...params, headers }),
  );
  let orgCursor = 0;

  async function repositories(budget: { left: number }): Promise<string[]> {
    if (scope.kind === 'repo') return [`${scope.owner}/${scope.repo}`];
    const repos: { full_name: string; archived?: boolean }[] = [];
    for (let page = 1; page <= MAX_ORG_REPO_PAGES; page += 1) {
      budget.left -= 1;
      const batch = await orgRepos({ org: scope.org, per_page: PER_PAGE, page });
      repos.push(...batch);
      if (batch.length < PER_PAGE) break;
    }
    const names = repos.filter((repo) => !repo.archived).map((repo) => repo.full_name);
    // Rotate so a budget smaller than the organization still reaches every repository in turn.
    orgCursor = names.length === 0 ? 0 : orgCursor % names.length;
    return [...names.slice(orgCursor), ...names.slice(0, orgCursor)];
  }

  /** Up to MAX_PAGES pages of a list; undefined when the budget ran out before its end. */
  async function pages<T>(
    budget: { left: number },
    read: (page: number) => Promise<T[]>,
  ): Promise<T[] | undefined> {
    const items: T[] = [];
    for (let page = 1; page <= MAX_PAGES; page += 1) {
      if (budget.left <= 0) return undefined;
      budget.left -= 1;
      const batch = await read(page);
      items.push(...batch);
      if (batch.length < PER_PAGE) break;
    }
    return items;
  }

  /**
   * A repository's unfinished jobs, those of its oldest runs first; `complete` is false when the
   * budget ran out before every run was read.
   */
  async function repositoryJobs(
    fullName: string,
    budget: { left: number },
  ): Promise<{ jobs: ObservedJob[]; complete: boolean }> {
    const [owner = '', repo = ''] = fullName.split('/');
    const runs: Run[] = [];
    for (const status of ['queued', 'in_progress'] as const) {
      const found = await pages(budget, async (page) => {
        const answer = await runsOf({
          owner,
          repo,
          status,
          per_page: PER_PAGE,
          ...(page > 1 ? { page } : {}),
        });
        return answer.workflow_runs;
      });
      if (!found) return { jobs: [], complete: false };
      runs.push(...found);
    }
    // GitHub lists the newest runs first; a backlog larger than the budget is read oldest first.
    runs.sort((a, b) => a.id - b.id);
    const jobs: ObservedJob[] = [];
    for (const run of runs) {
      const found = await pages(budget, async (page) => {
        const answer = await jobsOf({
          owner,
          repo,
          run_id: run.id,
          per_page: PER_PAGE,
          ...(page > 1 ? { page } : {}),
        });
        return answer.jobs;
      });
      if (!found) return { jobs, complete: false };
      for (const job of found) {
        const seen = observed(fullName, job);
        if (seen) jobs.push(seen);
      }
    }
    return { jobs, complete: true };
  }

  return {
    /**
     * Unfinished jobs, repository by repository until the budget runs out. A repository GitHub
     * refuses is reported and passed; an unreachable GitHub or a rate limit ends the resync.
     */
    unfinishedJobs: async (): Promise<UnfinishedJobs> => {
      const budget = { left: options.requestBudget };
      const result: UnfinishedJobs = { jobs: [], covered: new Set(), refused: [] };
      for (const fullName of await repositories(budget)) {
        if (budget.left <= 0) break;
        try {
          const { jobs, complete } = await repositoryJobs(fullName, budget);
          result.jobs.push(...jobs);
          if (!complete) break;
          result.covered.add(fullName);
        } catch (error) {
          if (classifyGitHubError(error) !== 'refused') throw error;
          result.refused.push({ repository: fullName, error });
        }
        if (scope.kind === 'org') orgCursor += 1;
      }
      return result;
    },

    /** One job's current state; undefined when GitHub no longer knows it. */
    job: async (repository: string, id: number): Promise<ObservedJob | undefined> => {
      const [owner = '', repo = ''] = repository.split('/');
      try {
        const job = await jobOf({ owner, repo, job_id: id });
        return observed(repository, job);
      } catch (error) {
        if (error instanceof RequestError && error.status === 404) return undefined;
        throw error;
      }
    },
  };
}

export type JobReader = ReturnType<typeof createJobReader>;
