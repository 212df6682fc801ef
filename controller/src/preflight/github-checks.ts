import { RequestError } from '@octokit/request-error';
import { scopeName } from '../config/github-url.ts';
import type { Config, RepoConfig } from '../config/load-config.ts';
import type { GitHubClient } from '../github/create-octokit.ts';
import {
  ACTIONS_RIGHTS,
  explainRefusal,
  HOOK_RIGHTS,
  networkErrorText,
  RUNNER_RIGHTS,
} from '../github/github-error.ts';
import { webhookEntries } from '../config/job-sources.ts';
import { fail, ok, type CheckLine } from './check-line.ts';
import { hookChecks } from './hook-checks.ts';

/** What a failed call says, as the controller would log it: status, meaning, permission. */
export function failureText(error: unknown, what: string, rights: string, apiUrl: string): string {
  const explained = explainRefusal(error, what, rights);
  if (explained !== error && explained instanceof Error) return explained.message;
  if (error instanceof RequestError) return `${what}: GitHub answered ${error.status}`;
  return `${what}: ${networkErrorText(error, apiUrl)}`;
}

/** The fix for a failure of the first call, which tells whether the credential works at all. */
function accessFix(error: unknown, repo: RepoConfig, mode: Config['mode']): string {
  const url = mode === 'single' ? 'GITHUB_URL' : `github_url of "${repo.id}"`;
  const token = repo.auth.kind === 'app' ? 'the App key and id' : 'the token';
  if (!(error instanceof RequestError))
    return `check the network to ${repo.target.apiUrl} (GITHUB_API_URL for GitHub Enterprise Server)`;
  if (error.status === 401) return `replace ${token}: GitHub does not accept it`;
  if (error.status === 404)
    return `check ${url}; give ${token} access to it (fine-grained: repository access; App: install it there)`;
  return `give ${token} the permission GitHub names`;
}

/**
 * The checks of one repository or organization entry, in order, stopping at the first that
 * makes the rest meaningless: it exists and the credential sees it; the credential may list and
 * register its runners; for webhook pools, it may read workflow runs and the hook is right.
 */
export async function githubChecks(
  repo: RepoConfig,
  client: () => Promise<GitHubClient>,
  config: Pick<Config, 'mode' | 'webhookHost'>,
): Promise<CheckLine[]> {
  const name = scopeName(repo.target.scope);
  const subject = `${repo.id}: ${name}`;
  const apiUrl = repo.target.apiUrl;
  const scope = repo.target.scope;
  let octokit: GitHubClient;
  try {
    octokit = await client();
    if (scope.kind === 'repo')
      await octokit.rest.repos.get({ owner: scope.owner, repo: scope.repo });
    else await octokit.rest.repos.listForOrg({ org: scope.org, per_page: 1 });
  } catch (error) {
    return [
      fail(
        'github',
        failureText(error, subject, RUNNER_RIGHTS, apiUrl),
        accessFix(error, repo, config.mode),
      ),
    ];
  }
  const lines: CheckLine[] = [ok('github', `${subject} exists and the credential can see it`)];
  const { actions } = octokit.rest;
  const runnerCheck = async (what: string, call: () => Promise<unknown>, can: string) => {
    try {
      await call();
      lines.push(ok('github', `${subject}: the credential can ${can}`));
      return true;
    } catch (error) {
      const text = failureText(error, `${subject}: ${what}`, RUNNER_RIGHTS, apiUrl);
      lines.push(fail('github', text, RUNNER_RIGHTS));
      return false;
    }
  };
  // A read: Administration (organization: Self-hosted runners) at read level is enough.
  const listed = await runnerCheck(
    'listing runners',
    () =>
      scope.kind === 'repo'
        ? actions.listSelfHostedRunnersForRepo({
            owner: scope.owner,
            repo: scope.repo,
            per_page: 1,
          })
        : actions.listSelfHostedRunnersForOrg({ org: scope.org, per_page: 1 }),
    'list self-hosted runners',
  );
  // Registering runners (generate-jitconfig, registration-token) needs write. Of the calls that
  // need it, a registration token is the one that changes nothing a user sees: no runner is
  // made, nothing shows in the settings, and the token expires on its own within an hour.
  const registers =
    listed &&
    (await runnerCheck(
      'creating a registration token',
      () =>
        scope.kind === 'repo'
          ? actions.createRegistrationTokenForRepo({ owner: scope.owner, repo: scope.repo })
          : actions.createRegistrationTokenForOrg({ org: scope.org }),
      'register self-hosted runners',
    ));
  if (!registers) return lines;
  if (webhookEntries([repo]).length === 0) return lines;
  if (scope.kind === 'repo') {
    try {
      await octokit.rest.actions.listWorkflowRunsForRepo({
        owner: scope.owner,
        repo: scope.repo,
        per_page: 1,
      });
      lines.push(ok('github', `${subject}: the credential can read workflow runs (resync)`));
    } catch (error) {
      lines.push(
        fail(
          'github',
          failureText(error, `${subject}: listing workflow runs`, ACTIONS_RIGHTS, apiUrl),
          ACTIONS_RIGHTS,
        ),
      );
    }
  }
  lines.push(
    ...(await hookChecks(repo, octokit, config).catch((error: unknown) => [
      fail(
        'webhook',
        failureText(error, `${subject}: reading the webhooks`, HOOK_RIGHTS, apiUrl),
        HOOK_RIGHTS,
      ),
    ])),
  );
  return lines;
}
