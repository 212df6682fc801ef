import { HEAD_SHA, WORKFLOW_NAME } from './job-json.ts';
import { repositoryJson } from './repository-json.ts';
import type { FakeJob, FakeRun, JobStatus } from './state.ts';

/** A run is as far along as its least advanced job. */
export function runStatus(jobs: FakeJob[]): JobStatus {
  // As on GitHub: a run is queued until one of its jobs starts, then in_progress until all end.
  if (jobs.every((job) => job.status === 'completed')) return 'completed';
  if (jobs.every((job) => job.status === 'queued')) return 'queued';
  return 'in_progress';
}

/** A `workflow-run` object. */
export function workflowRunJson(apiUrl: string, run: FakeRun, jobs: FakeJob[]) {
  const repo = run.repo;
  const runUrl = `${apiUrl}/repos/${repo.owner}/${repo.name}/actions/runs/${run.id}`;
  const status = runStatus(jobs);
  const failed = jobs.some((job) => job.conclusion !== null && job.conclusion !== 'success');
  const repository = repositoryJson(apiUrl, repo);
  return {
    id: run.id,
    name: WORKFLOW_NAME,
    node_id: Buffer.from(`011:WorkflowRun${run.id}`).toString('base64'),
    head_branch: 'main',
    head_sha: HEAD_SHA,
    path: '.github/workflows/ci.yml',
    display_title: `Run ${run.id}`,
    run_number: run.id % 10_000,
    run_attempt: 1,
    event: 'push',
    status,
    conclusion: status === 'completed' ? (failed ? 'failure' : 'success') : null,
    workflow_id: 161335,
    url: runUrl,
    html_url: `https://github.com/${repo.owner}/${repo.name}/actions/runs/${run.id}`,
    pull_requests: [],
    created_at: run.createdAt,
    updated_at: run.updatedAt,
    run_started_at: run.createdAt,
    jobs_url: `${runUrl}/jobs`,
    logs_url: `${runUrl}/logs`,
    check_suite_url: `${apiUrl}/repos/${repo.owner}/${repo.name}/check-suites/${run.id}`,
    artifacts_url: `${runUrl}/artifacts`,
    cancel_url: `${runUrl}/cancel`,
    rerun_url: `${runUrl}/rerun`,
    previous_attempt_url: null,
    workflow_url: `${apiUrl}/repos/${repo.owner}/${repo.name}/actions/workflows/161335`,
    head_commit: {
      id: HEAD_SHA,
      tree_id: HEAD_SHA,
      message: 'Test commit',
      timestamp: run.createdAt,
      author: { name: 'Mona Lisa', email: 'mona@example.com' },
      committer: { name: 'Mona Lisa', email: 'mona@example.com' },
    },
    repository,
    head_repository: repository,
  };
}
