import { notFound } from './github-error.ts';
import { jobJson } from './job-json.ts';
import { paginate } from './paginate.ts';
import type { Router } from './router.ts';
import { scopeOf } from './scope-of.ts';
import type { FakeJob, FakeState } from './state.ts';
import { runStatus, workflowRunJson } from './workflow-run-json.ts';

/** Workflow runs of a repository and the jobs of a run. */
export function addRunRoutes(router: Router, state: FakeState, baseUrl: () => string): void {
  const jobsOf = (runId: number): FakeJob[] =>
    [...state.jobs.values()].filter((job) => job.runId === runId);

  router.add('GET', '/repos/:owner/:repo/actions/runs', (req) => {
    const scope = scopeOf(state, req.params);
    if (scope?.kind !== 'repo') return notFound();
    const wanted = req.query.get('status');
    const runs = [...state.runs.values()]
      .filter((run) => run.repo.id === scope.repo.id)
      .filter((run) => wanted === null || runStatus(jobsOf(run.id)) === wanted)
      .sort((a, b) => b.id - a.id);
    const { page, headers } = paginate(runs, req, baseUrl());
    const workflowRuns = page.map((run) => workflowRunJson(baseUrl(), run, jobsOf(run.id)));
    return {
      status: 200,
      body: { total_count: runs.length, workflow_runs: workflowRuns },
      headers,
    };
  });

  router.add('GET', '/repos/:owner/:repo/actions/runs/:run_id/jobs', (req) => {
    const scope = scopeOf(state, req.params);
    const run = state.runs.get(Number(req.params.run_id));
    if (scope?.kind !== 'repo' || run?.repo.id !== scope.repo.id) return notFound();
    const jobs = jobsOf(run.id).sort((a, b) => a.id - b.id);
    const { page, headers } = paginate(jobs, req, baseUrl());
    const body = { total_count: jobs.length, jobs: page.map((job) => jobJson(baseUrl(), job)) };
    return { status: 200, body, headers };
  });

  router.add('GET', '/repos/:owner/:repo/actions/jobs/:job_id', (req) => {
    const scope = scopeOf(state, req.params);
    const job = state.jobs.get(Number(req.params.job_id));
    if (scope?.kind !== 'repo' || job?.repo.id !== scope.repo.id) return notFound();
    return { status: 200, body: jobJson(baseUrl(), job) };
  });
}
