import { RequestError } from '@octokit/request-error';
import type { PoolConfig } from '../config/load-config.ts';
import type { GitHubClient } from './create-octokit.ts';
import { createConditionalGet } from './conditional-get.ts';
import { createHookApi, type HookApi } from './hook-api.ts';
import { createJobSource, type JobSource } from './job-source.ts';
import {
  deleteRunner,
  generateJitConfig,
  listRunners,
  resolveRunnerGroupId,
  type JitConfig,
  type RegisteredRunner,
} from './runner-api.ts';

/** Requests one job resync may make per repository or organization. */
const JOB_REQUEST_BUDGET = 50;
const MAX_RUNNER_PAGES = 10;

export type DeregisterResult = 'removed' | 'busy';

/** What the reconciler asks of GitHub for one pool. */
export type PoolGitHub = {
  jitConfig(name: string): Promise<JitConfig>;
  jobs: JobSource;
  hooks: HookApi;
  /** The runners registered in the repository or organization (conditional GET). */
  runners(): Promise<RegisteredRunner[]>;
  /** Deletes a runner registration; GitHub refuses while the runner runs a job. */
  deregister(name: string, runnerId: number | undefined): Promise<DeregisterResult>;
};

export function createPoolGitHub(pool: PoolConfig, octokit: GitHubClient): PoolGitHub {
  const scope = pool.target.scope;
  const get = createConditionalGet(octokit);
  let groupId: Promise<number> | undefined;
  const runnerGroupId = () => {
    groupId ??= resolveRunnerGroupId(octokit, scope, pool.runnerGroup).catch((error: unknown) => {
      groupId = undefined;
      throw error;
    });
    return groupId;
  };
  return {
    jobs: createJobSource(get, scope, { requestBudget: JOB_REQUEST_BUDGET }),
    hooks: createHookApi(octokit, scope),
    runners: async () => {
      const route =
        scope.kind === 'repo'
          ? 'GET /repos/{owner}/{repo}/actions/runners'
          : 'GET /orgs/{org}/actions/runners';
      const params =
        scope.kind === 'repo' ? { owner: scope.owner, repo: scope.repo } : { org: scope.org };
      const all: RegisteredRunner[] = [];
      for (let page = 1; page <= MAX_RUNNER_PAGES; page += 1) {
        const data = await get<{ runners: RegisteredRunner[] }>(route, {
          ...params,
          per_page: 100,
          page,
        });
        all.push(...data.runners.map(({ id, name, status, busy }) => ({ id, name, status, busy })));
        if (data.runners.length < 100) break;
      }
      return all;
    },
    jitConfig: async (name) =>
      generateJitConfig(octokit, scope, {
        name,
        labels: pool.runnerLabels,
        runnerGroupId: await runnerGroupId(),
        workFolder: '_work',
      }),
    deregister: async (name, knownId) => {
      const runnerId =
        knownId ?? (await listRunners(octokit, scope)).find((r) => r.name === name)?.id;
      if (runnerId === undefined) return 'removed';
      try {
        await deleteRunner(octokit, scope, runnerId);
        return 'removed';
      } catch (error) {
        if (error instanceof RequestError && error.status === 404) return 'removed';
        if (error instanceof RequestError && error.status === 422) return 'busy';
        throw error;
      }
    },
  };
}
