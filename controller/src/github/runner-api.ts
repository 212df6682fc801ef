import type { GitHubScope } from '../config/github-url.ts';
import type { JitConfig, RegisteredRunner } from '../domain/registrar.ts';
import type { GitHubClient } from './create-octokit.ts';
import { scopeRoute } from './scope-route.ts';

export type JitRequest = {
  name: string;
  labels: string[];
  runnerGroupId: number;
  workFolder: string;
};

/** Registers a single-use runner and returns its JIT config (repository or organization endpoint). */
export async function generateJitConfig(
  octokit: GitHubClient,
  scope: GitHubScope,
  request: JitRequest,
): Promise<JitConfig> {
  const body = {
    name: request.name,
    labels: request.labels,
    runner_group_id: request.runnerGroupId,
    work_folder: request.workFolder,
  };
  const { data } =
    scope.kind === 'repo'
      ? await octokit.rest.actions.generateRunnerJitconfigForRepo({
          owner: scope.owner,
          repo: scope.repo,
          ...body,
        })
      : await octokit.rest.actions.generateRunnerJitconfigForOrg({ org: scope.org, ...body });
  return { runnerId: data.runner.id, encodedJitConfig: data.encoded_jit_config };
}

/** The registration of the runner with this name, asked by name (`?name=`); none when gone. */
export async function findRunner(
  octokit: GitHubClient,
  scope: GitHubScope,
  name: string,
): Promise<RegisteredRunner | undefined> {
  const { prefix, params } = scopeRoute(scope);
  const response = await octokit.request(`GET ${prefix}/actions/runners`, {
    ...params,
    name,
    per_page: 100,
  });
  const runners = (response.data as { runners: RegisteredRunner[] }).runners;
  const found = runners.find((runner) => runner.name === name);
  return found && { id: found.id, name: found.name, status: found.status, busy: found.busy };
}

export async function deleteRunner(
  octokit: GitHubClient,
  scope: GitHubScope,
  runnerId: number,
): Promise<void> {
  if (scope.kind === 'repo') {
    await octokit.rest.actions.deleteSelfHostedRunnerFromRepo({
      owner: scope.owner,
      repo: scope.repo,
      runner_id: runnerId,
    });
  } else {
    await octokit.rest.actions.deleteSelfHostedRunnerFromOrg({
      org: scope.org,
      runner_id: runnerId,
    });
  }
}

/** Runner group by name: repositories and the "default" name use group 1. */
export async function resolveRunnerGroupId(
  octokit: GitHubClient,
  scope: GitHubScope,
  name: string,
): Promise<number> {
  if (scope.kind === 'repo' || name.toLowerCase() === 'default') return 1;
  const groups = (await octokit.paginate('GET /orgs/{org}/actions/runner-groups', {
    org: scope.org,
    per_page: 100,
  })) as { id: number; name: string }[];
  const group = groups.find((candidate) => candidate.name.toLowerCase() === name.toLowerCase());
  if (!group) throw new Error(`runner group "${name}" not found in organization ${scope.org}`);
  return group.id;
}
