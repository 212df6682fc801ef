import { createRequire } from 'node:module';
import { jobJson } from './job-json.ts';
import type { FakeJob, FakeRepo } from './state.ts';

type Json = Record<string, unknown>;
interface WebhookDefinition {
  name: string;
  examples: Json[];
}

const definitions = createRequire(import.meta.url)(
  '@octokit/webhooks-examples',
) as WebhookDefinition[];
const workflowJobExamples = definitions.find((d) => d.name === 'workflow_job')?.examples ?? [];
const orgExample = workflowJobExamples.find((e) => e.organization !== undefined);
const queuedExample = workflowJobExamples.find((e) => e.action === 'queued');
if (!orgExample || !queuedExample) throw new Error('workflow_job examples not found');

const exampleRepo = orgExample.repository as Json & { full_name: string; owner: { login: string } };
const exampleOwner = exampleRepo.owner.login;

/** Rewrites the example's names and URLs to the fake's repository and API base. */
function rewrite<T>(value: T, apiUrl: string, repo: FakeRepo): T {
  const text = JSON.stringify(value)
    .replaceAll('https://api.github.com', apiUrl)
    .replaceAll(exampleRepo.full_name, `${repo.owner}/${repo.name}`)
    .replaceAll(`/${exampleOwner}`, `/${repo.owner}`);
  return JSON.parse(text) as T;
}

function repositoryPayload(apiUrl: string, repo: FakeRepo): Json {
  const repository = rewrite(exampleRepo, apiUrl, repo);
  const ownerId = repo.org?.id ?? repo.id + 1_000_000;
  return {
    ...repository,
    id: repo.id,
    node_id: Buffer.from(`010:Repository${repo.id}`).toString('base64'),
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    html_url: `https://github.com/${repo.owner}/${repo.name}`,
    owner: {
      ...repository.owner,
      login: repo.owner,
      id: ownerId,
      type: repo.org ? 'Organization' : 'User',
    },
  };
}

export type WorkflowJobAction = 'queued' | 'in_progress' | 'completed';

/**
 * A `workflow_job` webhook payload built from the real examples in @octokit/webhooks-examples,
 * with the job's ids, labels, status, runner and times, and the fake's repository/organization.
 */
export function workflowJobPayload(apiUrl: string, job: FakeJob, action: WorkflowJobAction): Json {
  const template = queuedExample?.workflow_job as Json;
  const current = jobJson(apiUrl, job);
  const workflowJob: Json = {
    ...rewrite(template, apiUrl, job.repo),
    id: job.id,
    run_id: job.runId,
    run_url: current.run_url,
    node_id: current.node_id,
    url: current.url,
    html_url: current.html_url,
    check_run_url: current.check_run_url,
    status: action,
    conclusion: action === 'completed' ? job.conclusion : null,
    created_at: job.createdAt,
    started_at: job.startedAt,
    completed_at: action === 'completed' ? job.completedAt : null,
    name: current.name,
    labels: [...job.labels],
    runner_id: action === 'queued' ? null : job.runnerId,
    runner_name: action === 'queued' ? null : job.runnerName,
    runner_group_id: action === 'queued' || job.runnerName === null ? null : 1,
    runner_group_name: action === 'queued' || job.runnerName === null ? null : 'Default',
    workflow_name: current.workflow_name,
    head_branch: current.head_branch,
  };
  const payload: Json = {
    action,
    workflow_job: workflowJob,
    repository: repositoryPayload(apiUrl, job.repo),
    sender: rewrite(orgExample?.sender, apiUrl, job.repo),
  };
  if (job.repo.org) {
    const organization = rewrite(orgExample?.organization as Json, apiUrl, job.repo);
    payload.organization = { ...organization, login: job.repo.org.login, id: job.repo.org.id };
  }
  return payload;
}
