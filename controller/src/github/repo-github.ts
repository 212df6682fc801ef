import { RequestError } from '@octokit/request-error';
import type { RepoConfig } from '../config/load-config.ts';
import type { DeregisterResult, JitConfig, RegisteredRunner } from '../domain/registrar.ts';
import { createConditionalGets } from './conditional-get.ts';
import type { GitHubClient } from './create-octokit.ts';
import { ACTIONS_RIGHTS, explainRefusal, HOOK_RIGHTS, RUNNER_RIGHTS } from './github-error.ts';
import { createHookApi, type HookApi } from './hook-api.ts';
import { createJobReader, type JobReader } from './job-reader.ts';
import {
  deleteRunner,
  findRunner,
  generateJitConfig,
  registrationToken,
  resolveRunnerGroupId,
  runnerPages,
} from './runner-api.ts';

/** Requests one job resync may make per repository or organization. */
const JOB_REQUEST_BUDGET = 50;
const MAX_RUNNER_PAGES = 10;

/** What a runner registers with: its labels and runner group (a pool's). */
export type RunnerRegistration = { labels: readonly string[]; runnerGroup: string };

/** What the controller asks of GitHub for one repository or organization. */
export type RepoGitHub = {
  jitConfig(name: string, registration: RunnerRegistration): Promise<JitConfig>;
  jobs(): Promise<JobReader>;
  hooks(): Promise<HookApi>;
  /** The runners registered in the repository or organization (conditional GET). */
  runners(): Promise<RegisteredRunner[]>;
  /** A registration token (an hour's validity), for the runner scale set protocol. */
  registrationToken(): Promise<string>;
  /** Deletes a runner registration; GitHub refuses while the runner runs a job. */
  deregister(name: string, runnerId: number | undefined): Promise<DeregisterResult>;
};

export function createRepoGitHub(
  repo: RepoConfig,
  client: () => Promise<GitHubClient>,
): RepoGitHub {
  const scope = repo.target.scope;
  let parts: Promise<ReturnType<typeof build>> | undefined;
  const build = (octokit: GitHubClient) => {
    const gets = createConditionalGets();
    const reader = createJobReader(octokit, gets, scope, { requestBudget: JOB_REQUEST_BUDGET });
    const hooks = createHookApi(octokit, scope);
    const explainHooks = <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
      explain(call, 'managing the webhook', HOOK_RIGHTS);
    return {
      octokit,
      runnerPage: runnerPages(octokit, gets, scope),
      jobs: {
        unfinishedJobs: explain(reader.unfinishedJobs, 'reading jobs', ACTIONS_RIGHTS),
        job: explain(reader.job, 'reading jobs', ACTIONS_RIGHTS),
      } satisfies JobReader,
      hooks: {
        find: explainHooks(hooks.find),
        list: explainHooks(hooks.list),
        findByUrl: explainHooks(hooks.findByUrl),
        lastDelivery: explainHooks(hooks.lastDelivery),
        create: explainHooks(hooks.create),
        update: explainHooks(hooks.update),
        deliveriesAfter: explainHooks(hooks.deliveriesAfter),
        redeliver: explainHooks(hooks.redeliver),
      } satisfies HookApi,
      groupIds: new Map<string, Promise<number>>(),
    };
  };
  const withParts = () => {
    parts ??= client().then(build, (error: unknown) => {
      parts = undefined;
      throw error;
    });
    return parts;
  };
  const runnerGroupId = async (name: string) => {
    const p = await withParts();
    const known = p.groupIds.get(name);
    if (known) return known;
    const found = resolveRunnerGroupId(p.octokit, scope, name).catch((error: unknown) => {
      p.groupIds.delete(name);
      throw explainRefusal(error, 'resolving the runner group', RUNNER_RIGHTS);
    });
    p.groupIds.set(name, found);
    return found;
  };
  const runners = async (): Promise<RegisteredRunner[]> => {
    const { runnerPage } = await withParts();
    const all: RegisteredRunner[] = [];
    for (let page = 1; page <= MAX_RUNNER_PAGES; page += 1) {
      const runners = await runnerPage(page).catch((error: unknown) => {
        throw explainRefusal(error, 'listing runners', RUNNER_RIGHTS);
      });
      all.push(...runners);
      if (runners.length < 100) break;
    }
    return all;
  };
  return {
    jobs: async () => (await withParts()).jobs,
    hooks: async () => (await withParts()).hooks,
    runners,
    registrationToken: async () => {
      const { octokit } = await withParts();
      return registrationToken(octokit, scope).catch((error: unknown) => {
        throw explainRefusal(error, 'getting a registration token', RUNNER_RIGHTS);
      });
    },
    jitConfig: async (name, registration) => {
      const { octokit } = await withParts();
      const request = {
        name,
        labels: [...registration.labels],
        runnerGroupId: await runnerGroupId(registration.runnerGroup),
        workFolder: '_work',
      };
      return generateJitConfig(octokit, scope, request).catch((error: unknown) => {
        throw explainRefusal(error, 'registering a runner', RUNNER_RIGHTS);
      });
    },
    deregister: async (name, knownId) => {
      const { octokit } = await withParts();
      // Not started here (a restart came between): ask GitHub for it by name.
      const runnerId = knownId ?? (await findRunner(octokit, scope, name))?.id;
      if (runnerId === undefined) return 'removed';
      try {
        await deleteRunner(octokit, scope, runnerId);
        return 'removed';
      } catch (error) {
        if (error instanceof RequestError && error.status === 404) return 'removed';
        if (error instanceof RequestError && error.status === 422) return 'busy';
        throw explainRefusal(error, 'removing a runner', RUNNER_RIGHTS);
      }
    },
  };
}

/** A call whose refusal names what is missing. */
function explain<A extends unknown[], R>(
  call: (...args: A) => Promise<R>,
  what: string,
  missing: string,
): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await call(...args);
    } catch (error) {
      throw explainRefusal(error, what, missing);
    }
  };
}
