import { RequestError } from '@octokit/request-error';
import type { PoolConfig } from '../config/load-config.ts';
import type { GitHubClient } from './create-octokit.ts';
import {
  deleteRunner,
  generateJitConfig,
  listRunners,
  resolveRunnerGroupId,
  type JitConfig,
} from './runner-api.ts';

export type DeregisterResult = 'removed' | 'busy';

/** What the reconciler asks of GitHub for one pool. */
export type PoolGitHub = {
  jitConfig(name: string): Promise<JitConfig>;
  /** Deletes a runner registration; GitHub refuses while the runner runs a job. */
  deregister(name: string, runnerId: number | undefined): Promise<DeregisterResult>;
};

export function createPoolGitHub(pool: PoolConfig, octokit: GitHubClient): PoolGitHub {
  const scope = pool.target.scope;
  let groupId: Promise<number> | undefined;
  const runnerGroupId = () => {
    groupId ??= resolveRunnerGroupId(octokit, scope, pool.runnerGroup).catch((error: unknown) => {
      groupId = undefined;
      throw error;
    });
    return groupId;
  };
  return {
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
