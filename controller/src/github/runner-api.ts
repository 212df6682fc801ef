import type { RestEndpointMethodTypes as Rest } from '@octokit/rest';
import type { GitHubScope } from '../config/github-url.ts';
import type { JitConfig, RegisteredRunner } from '../domain/registrar.ts';
import type { ConditionalGets } from './conditional-get.ts';
import type { GitHubClient } from './create-octokit.ts';

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
  const { data } =
    scope.kind === 'repo'
      ? await octokit.rest.actions.listSelfHostedRunnersForRepo({
          owner: scope.owner,
          repo: scope.repo,
          name,
          per_page: 100,
        })
      : await octokit.rest.actions.listSelfHostedRunnersForOrg({
          org: scope.org,
          name,
          per_page: 100,
        });
  const found = data.runners.find((runner) => runner.name === name);
  return found && registered(found);
}

/** One page of 100 runners registered in the scope, by conditional GETs. */
export function runnerPages(
  octokit: GitHubClient,
  gets: ConditionalGets,
  scope: GitHubScope,
): (page: number) => Promise<RegisteredRunner[]> {
  const ofRepo = gets.of(
    (params: Rest['actions']['listSelfHostedRunnersForRepo']['parameters'], headers) =>
      octokit.rest.actions.listSelfHostedRunnersForRepo({ ...params, headers }),
  );
  const ofOrg = gets.of(
    (params: Rest['actions']['listSelfHostedRunnersForOrg']['parameters'], headers) =>
      octokit.rest.actions.listSelfHostedRunnersForOrg({ ...params, headers }),
  );
  return async (page) => {
    const data =
      scope.kind === 'repo'
        ? await ofRepo({ owner: scope.owner, repo: scope.repo, per_page: 100, page })
        : await ofOrg({ org: scope.org, per_page: 100, page });
    return data.runners.map(registered);
  };
}

/** A registration token (valid for an hour), for the runner scale set protocol. */
export async function registrationToken(
  octokit: GitHubClient,
  scope: GitHubScope,
): Promise<string> {
  const { data } =
    scope.kind === 'repo'
      ? await octokit.rest.actions.createRegistrationTokenForRepo({
          owner: scope.owner,
          repo: scope.repo,
        })
      : await octokit.rest.actions.createRegistrationTokenForOrg({ org: scope.org });
  return data.token;
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
  for (let page = 1; ; page += 1) {
    const { data } = await octokit.request('GET /orgs/{org}/actions/runner-groups', {
      org: scope.org,
      per_page: 100,
      page,
    });
    const wanted = name.toLowerCase();
    const group = data.runner_groups.find((candidate) => candidate.name.toLowerCase() === wanted);
    if (group) return group.id;
    if (data.runner_groups.length < 100) break;
  }
  throw new Error(`runner group "${name}" not found in organization ${scope.org}`);
}

function registered(runner: RegisteredRunner): RegisteredRunner {
  return { id: runner.id, name: runner.name, status: runner.status, busy: runner.busy };
}
