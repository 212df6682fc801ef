import type { FakeJob } from './state.ts';

export const HEAD_SHA = 'e3103f8eb03e1ad7f2331c5446b23c070fc54055';
export const WORKFLOW_NAME = 'CI';

/** A `job` object, as `GET .../actions/runs/{run_id}/jobs` lists it. */
export function jobJson(apiUrl: string, job: FakeJob) {
  const repoUrl = `${apiUrl}/repos/${job.repo.owner}/${job.repo.name}`;
  const assigned = job.runnerName !== null;
  return {
    id: job.id,
    run_id: job.runId,
    run_url: `${repoUrl}/actions/runs/${job.runId}`,
    run_attempt: 1,
    node_id: Buffer.from(`08:CheckRun${job.id}`).toString('base64'),
    head_sha: HEAD_SHA,
    url: `${repoUrl}/actions/jobs/${job.id}`,
    html_url: `https://github.com/${job.repo.owner}/${job.repo.name}/actions/runs/${job.runId}/job/${job.id}`,
    status: job.status,
    conclusion: job.conclusion,
    created_at: job.createdAt,
    started_at: job.startedAt,
    completed_at: job.completedAt,
    name: `job-${job.id}`,
    steps: [],
    check_run_url: `${repoUrl}/check-runs/${job.id}`,
    labels: job.labels,
    runner_id: job.runnerId,
    runner_name: job.runnerName,
    runner_group_id: assigned ? 1 : null,
    runner_group_name: assigned ? 'Default' : null,
    workflow_name: WORKFLOW_NAME,
    head_branch: 'main',
  };
}
